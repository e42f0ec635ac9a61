// Lines as pg_restore 15 --list prints them for test/integration/runner/awkward-schema.sql plus
// names chosen to be awkward: spaces, quotes, a newline, a semicolon, dots, a dash alone.
import { describe, expect, it } from '@jest/globals';
import { catalogKeys, compareSchemaObjects, entryKey } from './schema-objects.ts';
import { describeEntry, parseToc, parseTocLine } from './toc.ts';

const TOC = `;
; Archive created at 2026-12-01 18:25:55 UTC
;     dbname: awk
;     TOC Entries: 142
;     Format: CUSTOM
;     Dumped from database version: 15.20 (Debian 15.20-0+deb12u1)
;
;
; Selected TOC Entries:
;
10; 2615 16810 SCHEMA - Mixed Case postgres
11; 2615 16838 SCHEMA - a b postgres
9; 2615 16655 SCHEMA - données postgres
3807; 0 0 COMMENT - SCHEMA "données" postgres
4; 3079 16550 EXTENSION - citext 
3808; 0 0 COMMENT - EXTENSION citext 
1126; 1247 16891 DOMAIN a b d"q postgres
1036; 1247 16657 TYPE public humeur postgres
405; 1255 16699 FUNCTION données touch() postgres
3811; 0 0 COMMENT données FUNCTION touch() postgres
412; 1255 16872 FUNCTION public fh(public.humeur, "a b"."enum t", integer[], timestamp with time zone, numeric, text[]) postgres
414; 1255 16874 PROCEDURE public po(integer, integer) postgres
1133; 1255 16816 AGGREGATE public myagg(integer) postgres
240; 1259 16811 TABLE Mixed Case T" postgres
245; 1259 16845 TABLE a b c d postgres
246; 1259 16848 VIEW a b v - w postgres
222; 1259 16672 TABLE données élève postgres
3812; 0 0 COMMENT données TABLE "élève" postgres
236; 1259 16765 MATERIALIZED VIEW public humeurs postgres
242; 1259 16830 FOREIGN TABLE public ft postgres
243; 1259 16835 TABLE public new line postgres
241; 1259 16818 TABLE public semi; colon postgres
239; 1259 16806 VIEW public v.with.dots postgres
238; 1259 16803 TABLE public we"ird name postgres
233; 1259 16759 SEQUENCE public facture_seq postgres
3569; 0 0 TABLE ATTACH a b p1 postgres
3577; 2604 16870 DEFAULT public child a postgres
3792; 0 16845 TABLE DATA a b c d postgres
3787; 0 16803 TABLE DATA public we"ird name postgres
3818; 0 0 SEQUENCE SET a b s q postgres
3811; 0 0 SEQUENCE OWNED BY données élève_id_seq postgres
1127; 2606 16892 CHECK CONSTRAINT a b d"q dq check postgres
3608; 2606 16862 CONSTRAINT public withdef withdef a postgres
3563; 1259 16684 INDEX données élève_prénom_lower postgres
3617; 0 0 INDEX ATTACH a b p1_x_idx postgres
3769; 2618 16823 RULE public cache r1 postgres
3622; 2620 16866 TRIGGER a b c trg x postgres
3619; 2606 16694 FK CONSTRAINT données note note_élève_id_fkey postgres
3771; 3256 16822 POLICY public audit p1 postgres
3546; 3466 16834 EVENT TRIGGER - et postgres
3785; 0 16765 MATERIALIZED VIEW DATA public humeurs postgres
`;

describe('parseTocLine', () => {
  it('reads an entry: type, schema, name and owner', () => {
    expect(parseTocLine('222; 1259 16672 TABLE données élève postgres')).toEqual({
      dumpId: 222,
      type: 'TABLE',
      qualified: 'données élève',
      schema: 'données',
      name: 'élève',
      owner: 'postgres',
    });
  });

  it('reads objects without a schema, and an empty owner', () => {
    expect(parseTocLine('4; 3079 16550 EXTENSION - citext ')).toMatchObject({ type: 'EXTENSION', schema: '-', name: 'citext', owner: '' });
    expect(parseTocLine('11; 2615 16838 SCHEMA - a b postgres')).toMatchObject({ type: 'SCHEMA', schema: '-', name: 'a b', qualified: '- a b' });
  });

  it('takes multi-word types whole', () => {
    expect(parseTocLine('236; 1259 16765 MATERIALIZED VIEW public humeurs postgres')).toMatchObject({ type: 'MATERIALIZED VIEW', name: 'humeurs' });
    expect(parseTocLine('242; 1259 16830 FOREIGN TABLE public ft postgres')).toMatchObject({ type: 'FOREIGN TABLE', name: 'ft' });
    expect(parseTocLine('3619; 2606 16694 FK CONSTRAINT données note note_élève_id_fkey postgres')).toMatchObject({
      type: 'FK CONSTRAINT',
      schema: 'données',
      name: 'note note_élève_id_fkey',
    });
  });

  it('leaves out what is not an object of a checked kind', () => {
    for (const line of [
      ';     dbname: awk',
      '',
      '3787; 0 16803 TABLE DATA public we"ird name postgres',
      '3785; 0 16765 MATERIALIZED VIEW DATA public humeurs postgres',
      '3818; 0 0 SEQUENCE SET a b s q postgres',
      '3617; 0 0 INDEX ATTACH a b p1_x_idx postgres',
      '3569; 0 0 TABLE ATTACH a b p1 postgres',
      '3812; 0 0 COMMENT données TABLE "élève" postgres',
      '3577; 2604 16870 DEFAULT public child a postgres',
      '1133; 1255 16816 AGGREGATE public myagg(integer) postgres',
      '3546; 3466 16834 EVENT TRIGGER - et postgres',
    ]) {
      expect(parseTocLine(line)).toBeUndefined();
    }
  });

  it('keeps names with quotes, dots, semicolons and a newline (printed as a space) as they are', () => {
    expect(parseTocLine('238; 1259 16803 TABLE public we"ird name postgres')).toMatchObject({ qualified: 'public we"ird name', name: 'we"ird name' });
    expect(parseTocLine('241; 1259 16818 TABLE public semi; colon postgres')).toMatchObject({ name: 'semi; colon' });
    expect(parseTocLine('239; 1259 16806 VIEW public v.with.dots postgres')).toMatchObject({ name: 'v.with.dots' });
    expect(parseTocLine('243; 1259 16835 TABLE public new line postgres')).toMatchObject({ name: 'new line' });
    expect(parseTocLine('412; 1255 16872 FUNCTION public fh(public.humeur, "a b"."enum t", integer[], timestamp with time zone, numeric, text[]) postgres')).toMatchObject({
      type: 'FUNCTION',
      schema: 'public',
      name: 'fh(public.humeur, "a b"."enum t", integer[], timestamp with time zone, numeric, text[])',
    });
  });

  it('splits a schema with a space in its name by the schemas it knows', () => {
    const schemas = new Set(['a b', 'Mixed Case']);
    expect(parseTocLine('245; 1259 16845 TABLE a b c d postgres', schemas)).toMatchObject({ schema: 'a b', name: 'c d', qualified: 'a b c d' });
    expect(parseTocLine('246; 1259 16848 VIEW a b v - w postgres', schemas)).toMatchObject({ schema: 'a b', name: 'v - w' });
    expect(parseTocLine('240; 1259 16811 TABLE Mixed Case T" postgres', schemas)).toMatchObject({ schema: 'Mixed Case', name: 'T"' });
    expect(parseTocLine('1127; 2606 16892 CHECK CONSTRAINT a b d"q dq check postgres', schemas)).toMatchObject({ schema: 'a b', name: 'd"q dq check' });
    // Without knowing, the first word; `qualified` (what is compared) is the same either way.
    expect(parseTocLine('245; 1259 16845 TABLE a b c d postgres')).toMatchObject({ schema: 'a', name: 'b c d', qualified: 'a b c d' });
  });
});

describe('parseToc', () => {
  it('reads the checked entries, splitting names by the dump\'s own schemas', () => {
    const entries = parseToc(TOC);
    expect(entries.map(describeEntry)).toEqual([
      'SCHEMA Mixed Case',
      'SCHEMA a b',
      'SCHEMA données',
      'EXTENSION citext',
      'DOMAIN a b.d"q',
      'TYPE public.humeur',
      'FUNCTION données.touch()',
      'FUNCTION public.fh(public.humeur, "a b"."enum t", integer[], timestamp with time zone, numeric, text[])',
      'PROCEDURE public.po(integer, integer)',
      'TABLE Mixed Case.T"',
      'TABLE a b.c d',
      'VIEW a b.v - w',
      'TABLE données.élève',
      'MATERIALIZED VIEW public.humeurs',
      'FOREIGN TABLE public.ft',
      'TABLE public.new line',
      'TABLE public.semi; colon',
      'VIEW public.v.with.dots',
      'TABLE public.we"ird name',
      'SEQUENCE public.facture_seq',
      'CHECK CONSTRAINT a b.d"q dq check',
      'CONSTRAINT public.withdef withdef a',
      'INDEX données.élève_prénom_lower',
      'RULE public.cache r1',
      'TRIGGER a b.c trg x',
      'FK CONSTRAINT données.note note_élève_id_fkey',
      'POLICY public.audit p1',
    ]);
  });
});

describe('compareSchemaObjects', () => {
  const entries = parseToc(TOC);

  it('finds each entry in the catalog by its type family and qualified name', () => {
    // As CATALOG_OBJECTS_SQL returns them: every kind of constraint is a CONSTRAINT.
    const catalog = catalogKeys([
      ['CONSTRAINT', 'a b d"q dq check'],
      ['CONSTRAINT', 'données note note_élève_id_fkey'],
      ['TABLE', 'a b c d'],
    ]);
    expect(entryKey(entries.find((entry) => entry.type === 'CHECK CONSTRAINT')!)).toBe('CONSTRAINT a b d"q dq check');
    expect(compareSchemaObjects(entries, new Set(entries.map(entryKey)))).toEqual({ expected: 27, found: 27, missing: [] });
    expect(compareSchemaObjects(entries, catalog)).toMatchObject({ expected: 27, found: 3 });
  });

  it('names what is missing, matching whole names only', () => {
    const catalog = new Set(entries.map(entryKey).filter((key) => key !== 'TABLE a b c d' && key !== 'CONSTRAINT public withdef withdef a'));
    // A table "c" in schema "a b" is another table: "a b c" does not stand for "a b c d".
    catalog.add('TABLE a b c');
    const result = compareSchemaObjects(entries, catalog);
    expect(result).toMatchObject({ expected: 27, found: 25 });
    expect(result.missing.map(describeEntry)).toEqual(['TABLE a b.c d', 'CONSTRAINT public.withdef withdef a']);
  });
});
