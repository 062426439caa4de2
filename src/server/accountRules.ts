/**
 * Rules for accounts, as a careful self-hosted service keeps them: user names are told apart as
 * people read them (NFKC, case-folded, and letters that look alike — a Cyrillic `а` and a Latin `a`
 * — are one name), and a new password must not be easy to guess, by a strength estimate
 * (zxcvbn-ts: dictionaries of common passwords, names and words, keyboard patterns, the user name).
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { remove as removeConfusables } from 'confusables';

/**
 * zxcvbn's score a new password needs (0–4): 2 is "somewhat guessable" (more than 10^8 guesses),
 * enough where logins are rate-limited and hashes are argon2id; 0 and 1 (`12345678`, `password`, the
 * user name, a keyboard walk) are refused.
 */
export const MIN_PASSWORD_SCORE = 2;
export const MIN_PASSWORD_LENGTH = 8;

/** The key a user name is stored and found under: two names with one key are one name. */
export function usernameKey(name: string): string {
  const folded = name.normalize('NFKC').toLowerCase();
  return removeConfusables(folded).normalize('NFKC').toLowerCase();
}

const estimator = (() => {
  let factory: ZxcvbnFactory | null = null;
  return (): ZxcvbnFactory =>
    (factory ??= new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    }));
})();

/** What is wrong with a new password for `username` (null: nothing), with advice, for a 400. */
export function passwordProblem(password: string, username: string): { message: string; hint: string } | null {
  const hint = 'Use a few unrelated words, or a password manager’s; at least 8 characters.';
  if (password.length < MIN_PASSWORD_LENGTH) return { message: `A password has at least ${MIN_PASSWORD_LENGTH} characters.`, hint };
  if (!password.trim()) return { message: 'A password of spaces only is not a password.', hint };
  if (usernameKey(password) === usernameKey(username)) return { message: 'The password must not be the user name.', hint };
  const r = estimator().check(password, [username, usernameKey(username), 'sam-annotator', 'annotator']);
  if (r.score >= MIN_PASSWORD_SCORE) return null;
  const why = r.feedback.warning ? ` ${r.feedback.warning}` : '';
  return {
    message: `That password is too easy to guess (strength ${r.score} of 4, ${MIN_PASSWORD_SCORE} needed).${why}`,
    hint: [...r.feedback.suggestions, hint].join(' '),
  };
}
