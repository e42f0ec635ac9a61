import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { leaveOutSettings } from './preamble-filter.ts';

/** The preamble pg_restore 17.12 writes with --file and --single-transaction (measured). */
const SCRIPT = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  '\\restrict K53kdzg6GLabUFdJCUJXRx4x6EVJShBIeGFqZscOOyNn8DpapVPfmDcU12ZqEoj',
  '',
  '-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)',
  '-- Dumped by pg_dump version 17.12 (Debian 17.12-0+deb13u1)',
  '',
  'BEGIN;',
  '',
  'SET statement_timeout = 0;',
  'SET lock_timeout = 0;',
  'SET idle_in_transaction_session_timeout = 0;',
  'SET transaction_timeout = 0;',
  "SET client_encoding = 'UTF8';",
  'SET standard_conforming_strings = on;',
  "SELECT pg_catalog.set_config('search_path', '', false);",
  'SET check_function_bodies = false;',
  '',
  'CREATE TABLE public.notes (body text);',
  'COPY public.notes (body) FROM stdin;',
  'SET transaction_timeout = 0;',
  'élève ✓',
  '\\.',
  'COMMIT;',
  '',
].join('\n');

async function filtered(input: string | Buffer, names: string[], chunkBytes = 7): Promise<{ out: string; leftOut: string[] }> {
  const bytes = Buffer.from(input);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, at + chunkBytes));
  const leftOut: string[] = [];
  const out = await buffer(Readable.from(chunks).pipe(leaveOutSettings(names, (line) => leftOut.push(line))));
  return { out: out.toString('utf8'), leftOut };
}

describe('leaving settings out of a script preamble', () => {
  it('comments out the named setting, line for line, and nothing else', async () => {
    const { out, leftOut } = await filtered(SCRIPT, ['transaction_timeout']);
    expect(leftOut).toEqual(['SET transaction_timeout = 0;']);
    const lines = out.split('\n');
    const original = SCRIPT.split('\n');
    expect(lines).toHaveLength(original.length);
    expect(lines[14]).toBe('-- SET transaction_timeout = 0; (left out: this server does not know the setting)');
    expect(lines.filter((line, i) => line !== original[i])).toEqual([lines[14]]);
  });

  it('leaves what follows the preamble alone, a row that reads like the setting included', async () => {
    const { out } = await filtered(SCRIPT, ['transaction_timeout'], 1);
    expect(out.split('\n').slice(20).join('\n')).toBe(SCRIPT.split('\n').slice(20).join('\n'));
    expect(out).toContain('COPY public.notes (body) FROM stdin;\nSET transaction_timeout = 0;\nélève ✓\n');
  });

  it('passes every byte on as it came, whatever the encoding', async () => {
    const latin1 = Buffer.concat([Buffer.from('SET transaction_timeout = 0;\nINSERT INTO t VALUES ('), Buffer.from([0xe9, 0xff, 0x00, 0x80]), Buffer.from(');\n')]);
    const out = await buffer(Readable.from([latin1.subarray(0, 40), latin1.subarray(40)]).pipe(leaveOutSettings(['transaction_timeout'])));
    expect(out.subarray(out.indexOf('INSERT'))).toEqual(latin1.subarray(latin1.indexOf('INSERT')));
  });

  it('changes nothing when no setting is named', async () => {
    expect((await filtered(SCRIPT, [])).out).toBe(SCRIPT);
  });

  it('keeps settings not named, and a setting named only by a longer name', async () => {
    const { out, leftOut } = await filtered('SET lock_timeout = 0;\nSET transaction_timeout_x = 1;\nSELECT 1;\n', ['transaction_timeout']);
    expect(leftOut).toEqual([]);
    expect(out).toBe('SET lock_timeout = 0;\nSET transaction_timeout_x = 1;\nSELECT 1;\n');
  });

  it('handles a script that is all preamble, without a final newline', async () => {
    const { out, leftOut } = await filtered('SET statement_timeout = 0;\nSET transaction_timeout = 0;', ['transaction_timeout']);
    expect(leftOut).toHaveLength(1);
    expect(out).toBe('SET statement_timeout = 0;\n-- SET transaction_timeout = 0; (left out: this server does not know the setting)');
  });

  it('stops looking after a long first line, and passes it on whole', async () => {
    const long = `-- ${'x'.repeat(70 * 1024)}\nSET transaction_timeout = 0;\n`;
    const { out, leftOut } = await filtered(long, ['transaction_timeout'], 4096);
    expect(leftOut).toEqual([]);
    expect(out).toBe(long);
  });
});
