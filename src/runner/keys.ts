// age keys from the task and the environment. Recipients (public) may sit in the task; the
// identities (secret) only ever come from an env var filled from a Secret.
import { RunnerEnv } from '../contract/runner-env.ts';
import type { Decryption, Encryption } from '../contract/tasks.ts';
import { ageRecipientFromIdentity, parseAgeIdentities } from '../crypto/age-stream.ts';
import { RunnerError } from '../failures/runner-error.ts';

/** Recipients to encrypt to: the task's list plus the env var's lines (identities become
 *  their recipients, so a Secret holding one key both encrypts and decrypts). */
export async function resolveRecipients(encryption: Encryption | undefined, env: NodeJS.ProcessEnv): Promise<string[]> {
  if (!encryption) return [];
  const recipients = new Set(encryption.recipients);
  if (encryption.keyEnv) {
    const text = env[encryption.keyEnv];
    if (!text) throw new RunnerError('InvalidTask', `encryption key variable ${encryption.keyEnv} is not set`);
    for (const line of parseAgeIdentities(text)) {
      if (line.startsWith('age1')) recipients.add(line);
      else if (line.startsWith('AGE-SECRET-KEY-1')) recipients.add(await ageRecipientFromIdentity(line));
      else throw new RunnerError('InvalidTask', `${encryption.keyEnv} holds a line that is neither an age recipient nor an identity`);
    }
  }
  if (recipients.size === 0) throw new RunnerError('InvalidTask', 'encryption is on but no recipient was found');
  return [...recipients];
}

export function resolveIdentities(decryption: Decryption | undefined, env: NodeJS.ProcessEnv): string[] {
  const variable = decryption?.identityEnv ?? RunnerEnv.ageIdentity;
  const text = env[variable];
  if (!text) {
    throw new RunnerError('DecryptionFailed', `the artifact is encrypted and the identity variable ${variable} is not set`);
  }
  const identities = parseAgeIdentities(text).filter((line) => line.startsWith('AGE-SECRET-KEY-1'));
  if (identities.length === 0) {
    throw new RunnerError('DecryptionFailed', `${variable} holds no age identity (AGE-SECRET-KEY-1...)`);
  }
  return identities;
}
