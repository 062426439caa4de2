/** What the sync tells the user when their change and someone else's met (message and hint). */
import type { ServerChange } from '../../core/sync/protocol.ts';

const what = (coll: string) => (coll === 'annotations' ? 'annotation' : coll);

/** Their push replaced newer versions by others (`replaced`: "annotation 7 (bob's version)", ...). */
export function overwroteNotice(replaced: readonly string[]): [string, string] {
  const more = replaced.length > 3 ? ` and ${replaced.length - 3} more` : '';
  return [
    `Your change replaced a newer one by someone else: ${replaced.slice(0, 3).join(', ')}${more}.`,
    'The later write wins; the replaced version is kept in the server’s history.',
  ];
}

/** Others changed records this browser had pushed. */
export function changedByOthersNotice(others: readonly ServerChange[]): [string, string] {
  const c = others[0]!;
  const more = others.length > 1 ? ` (and ${others.length - 1} more)` : '';
  return [
    `${c.username} changed ${what(c.coll)} ${c.id}, which you had ${c.data === null ? 'made (it was removed)' : 'made or edited'}${more}.`,
    'Their later change is shown; your version is kept in the server’s history.',
  ];
}
