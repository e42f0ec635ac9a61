import { describe, expect, it } from '@jest/globals';
import { settingsUnknownToServer, toolMajor } from './session-settings.ts';

describe('the client tools major version', () => {
  it.each([
    ['pg_restore (PostgreSQL) 17.12 (Debian 17.12-0+deb13u1)', 17],
    ['psql (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)', 15],
    ['pg_dump (PostgreSQL) 18beta1', 18],
    ['pg_restore (PostgreSQL) 9.6.24', 9],
    ['something else', undefined],
  ])('is read from %j', (line, major) => {
    expect(toolMajor(line)).toBe(major);
  });
});

describe('the settings an older server does not know', () => {
  it.each([
    { client: 17, server: 150020, unknown: ['transaction_timeout'] },
    { client: 17, server: 160004, unknown: ['transaction_timeout'] },
    { client: 17, server: 130018, unknown: ['transaction_timeout'] },
    { client: 17, server: 170000, unknown: [] },
    { client: 18, server: 170005, unknown: [] },
    { client: 15, server: 150020, unknown: [] },
    { client: 16, server: 150020, unknown: [] },
    { client: undefined, server: 150020, unknown: ['transaction_timeout'] },
  ])('client $client against server $server: $unknown', ({ client, server, unknown }) => {
    expect(settingsUnknownToServer(client, server)).toEqual(unknown);
  });
});
