// Leaves named session settings out of the preamble of a SQL script (a plain dump, or what
// pg_restore writes with --file): the lines before the first statement that is not a comment,
// `\restrict`, BEGIN, SET or set_config. Only the preamble is read: the rest of the script
// (table data included, where a row could read like a SET) passes through untouched, so a
// gigabyte restore pays for a few hundred bytes of scanning. A left-out line becomes a
// comment, so psql's line numbers in error messages still point at the script's lines.
import { Transform, type TransformCallback } from 'node:stream';

/** A preamble longer than this is no pg_dump preamble: stop looking and pass everything on. */
const MAX_PREAMBLE_BYTES = 64 * 1024;

const PREAMBLE_LINE = [/^$/, /^--/, /^\\restrict /, /^BEGIN;$/, /^SET [a-z_]+ = .*;$/, /^SELECT pg_catalog\.set_config\(.*\);$/];

/** The setting a preamble line sets, when it is one of `names`. */
export function settingLeftOut(line: string, names: ReadonlySet<string>): string | undefined {
  const match = /^SET ([a-z_]+) = .*;$/.exec(line);
  return match && names.has(match[1] as string) ? match[1] : undefined;
}

export function isPreambleLine(line: string): boolean {
  return PREAMBLE_LINE.some((pattern) => pattern.test(line));
}

/**
 * A Transform that comments out `SET <name> = …;` lines of the preamble for each of `names`;
 * `onLeftOut` hears each line left out.
 */
export function leaveOutSettings(names: Iterable<string>, onLeftOut: (line: string) => void = () => undefined): Transform {
  const wanted = new Set(names);
  let pending = '';
  let scanning = wanted.size > 0;

  /** What to pass on of `pending`: its preamble lines, and everything once past the preamble. */
  const scan = (): string => {
    let out = '';
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      if (!isPreambleLine(line)) {
        scanning = false;
        break;
      }
      if (settingLeftOut(line, wanted)) {
        onLeftOut(line);
        out += `-- ${line} (left out: this server does not know the setting)\n`;
      } else {
        out += `${line}\n`;
      }
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    if (scanning && pending.length > MAX_PREAMBLE_BYTES) scanning = false;
    if (!scanning) {
      out += pending;
      pending = '';
    }
    return out;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!scanning) {
        callback(null, chunk);
        return;
      }
      // latin1 is one character per byte: whatever the script's encoding, every byte goes
      // out as it came in.
      pending += chunk.toString('latin1');
      const out = scan();
      callback(null, out.length > 0 ? Buffer.from(out, 'latin1') : undefined);
    },
    flush(callback: TransformCallback) {
      if (scanning && pending.length > 0) {
        pending += '\n';
        const out = scan().slice(0, -1);
        callback(null, Buffer.from(out, 'latin1'));
        return;
      }
      callback(null, pending.length > 0 ? Buffer.from(pending, 'latin1') : undefined);
    },
  });
}
