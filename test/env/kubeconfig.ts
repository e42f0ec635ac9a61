// An admin kubeconfig with the certificates embedded, so it works from any directory.
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export function writeKubeconfig(path: string, server: string, pki: { caCert: string; adminCert: string; adminKey: string }): void {
  const b64 = (file: string) => readFileSync(file).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lifeboat-test', cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [
      {
        name: 'lifeboat-admin',
        user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) },
      },
    ],
    contexts: [{ name: 'lifeboat-test', context: { cluster: 'lifeboat-test', user: 'lifeboat-admin' } }],
    'current-context': 'lifeboat-test',
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}
