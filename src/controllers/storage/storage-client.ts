// The backup storage of a schedule (src/s3/run-store.ts), with the credentials of the Secret it
// names, read by the operator at the moment it needs them (deleting a run's artifacts, reading
// the catalog). The values stay in this function's scope: never logged, never in an event or status.
import type { BackupStorage } from '../../api/index.ts';
import { MissingCredentialsError } from '../../failures/missing-credentials.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import { SECRETS } from '../../kube/resource-type.ts';
import type { KubeObject } from '../../kube/types.ts';
import { TemporaryError } from '../../runtime/errors.ts';
import { openRunStore, type RunStore } from '../../s3/run-store.ts';

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

const ENV_PREFIX = 'LIFEBOAT_STORAGE_';

/** Where the storage is, for messages: s3://bucket at endpoint. */
export function describeStorage(storage: BackupStorage, key = ''): string {
  return `s3://${storage.bucket}/${key}${storage.endpoint ? ` at ${storage.endpoint}` : ''}`;
}

async function credentialsEnv(client: Pick<KubeApi, 'find'>, namespace: string, storage: BackupStorage, signal?: AbortSignal): Promise<NodeJS.ProcessEnv> {
  const ref = storage.credentialsSecret;
  // No Secret named: the operator's own credential chain (e.g. its service account's web identity).
  if (!ref) return process.env;
  const secret = await client.find<SecretObject>(SECRETS, namespace, ref.name, { signal });
  if (!secret) throw new TemporaryError(`Secret "${ref.name}" (storage.credentialsSecret) does not exist`);
  const value = (key: string): string | undefined => {
    const encoded = secret.data?.[key];
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
  };
  const accessKeyId = value(ref.accessKeyIdKey);
  const secretAccessKey = value(ref.secretAccessKeyKey);
  if (!accessKeyId || !secretAccessKey) {
    throw new TemporaryError(`Secret "${ref.name}" lacks the key "${accessKeyId ? ref.secretAccessKeyKey : ref.accessKeyIdKey}" (storage.credentialsSecret)`);
  }
  return { [`${ENV_PREFIX}ACCESS_KEY_ID`]: accessKeyId, [`${ENV_PREFIX}SECRET_ACCESS_KEY`]: secretAccessKey };
}

/** Calls `use` with the storage and closes its connections afterwards. */
export async function withStorageClient<T>(
  client: Pick<KubeApi, 'find'>,
  namespace: string,
  storage: BackupStorage,
  use: (store: RunStore) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const env = await credentialsEnv(client, namespace, storage, signal);
  let store: RunStore & { close(): void };
  try {
    store = openRunStore(
      {
        endpoint: storage.endpoint,
        region: storage.region,
        forcePathStyle: storage.forcePathStyle,
        credentialsEnvPrefix: storage.credentialsSecret ? ENV_PREFIX : 'AWS_',
      },
      { env, maxSockets: 8 },
    );
  } catch (error) {
    if (error instanceof MissingCredentialsError) throw new TemporaryError(`no credentials for ${describeStorage(storage)}: ${error.message}`);
    throw error;
  }
  try {
    return await use(store);
  } finally {
    store.close();
  }
}
