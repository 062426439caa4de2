import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressBar } from './progress.ts';

/** A stream that keeps what is written; `isTTY` as a terminal would say. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text: string } {
  const s = new Writable({
    write(chunk: Buffer, _enc, done) {
      s.text += chunk.toString();
      done();
    },
  }) as Writable & { isTTY: boolean; text: string };
  s.isTTY = isTTY;
  s.text = '';
  return s;
}

describe('ProgressBar', () => {
  it('shows done/total, the detail, elapsed time and ETA, and prints a message on a line of its own (log output)', async () => {
    const out = sink(false);
    const bar = new ProgressBar(4, 'images', out);
    bar.update(0, '0 masks');
    expect(out.text).toMatch(/^\[ {30}\] 0\/4 images, 0 masks, 0 s, ETA \? s *\n$/);
    await new Promise((r) => setTimeout(r, 5));
    bar.update(2, '7 masks', '(image 3: 16/64 points)');
    bar.line('skipping a.png: not a PNG, JPEG or BMP file');
    bar.update(3, '9 masks');
    bar.stop();
    const lines = out.text.split('\n');
    expect(lines).toContain('skipping a.png: not a PNG, JPEG or BMP file');
    expect(out.text).toMatch(/\[#{15} {15}\] 2\/4 images, 7 masks, 0 s, ETA 0 s \(image 3: 16\/64 points\)/);
    expect(out.text).toMatch(/\[#{23} {7}\] 3\/4 images, 9 masks, 0 s, ETA 0 s/);
    expect(out.text.endsWith('\n')).toBe(true);
  });
  it('on a terminal, ends the bar line before a message and draws the bar again below it', () => {
    const out = sink(true);
    const bar = new ProgressBar(2, 'images', out);
    bar.update(1, '1 masks');
    bar.line('no label PNG for b.jpg in masks/: skipped');
    bar.stop();
    const at = out.text.indexOf('no label PNG');
    expect(out.text.slice(0, at)).toMatch(/1\/2 images, 1 masks.*\n$/s);
    expect(out.text.slice(at)).toMatch(/^no label PNG for b\.jpg in masks\/: skipped\n.*1\/2 images/s);
  });
  it('writes a line end only when nothing was drawn', () => {
    const out = sink(false);
    new ProgressBar(0, 'images', out).stop();
    expect(out.text).toBe('\n');
  });
});
