// The whole test environment in one call: the real control plane, the process kubelet (runc
// mode with build/images when runc can run here, see kubelet/README.md), a throwaway
// PostgreSQL and two S3 servers (MinIO, and gofakes3 for keys MinIO refuses), all on
// 127.0.0.1. The Jest global setup, `make testenv-up` and `make demo` all start it through here.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { TestEnvInfo } from '../support/env.ts';
import { locateBinaries, testbinDir } from './binaries.ts';
import {
  ensureLogDir,
  startApiServer,
  startControllerManager,
  startEtcd,
  startScheduler,
} from './control-plane.ts';
import { describeMode, detectMode, type KubeletMode } from './kubelet/runtime-mode.ts';
import { ManagedProcess } from './managed-process.ts';
import { startKeyValueS3 } from './keyvalue-s3.ts';
import { startMinio } from './minio.ts';
import { repoRoot } from './paths.ts';
import { createPki } from './pki.ts';
import { startPostgres } from './postgres.ts';

export const NODE_NAME = 'lifeboat-node';

export interface Environment {
  info: TestEnvInfo;
  /** Path of the JSON file holding `info` (what LIFEBOAT_TESTENV points at). */
  infoFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Keep the work dir (logs, data) after stop, for debugging. */
  keepWorkDir?: boolean;
  log?: (line: string) => void;
}

/** Image repository name → host command the process kubelet runs instead of the image (process mode). */
function imageMap(): Record<string, string[]> {
  return { 'lifeboat-runner': [process.execPath, join(repoRoot, 'dist/runner/main.js')] };
}

/** Where `make images` puts the OCI layouts the kubelet runs with runc. */
export const imageStoreDir = join(repoRoot, 'build/images');

/** Where the environment's kubelets unpack images (runc mode), shared by all of them. */
export function imageCacheDir(envWorkDir: string): string {
  return join(envWorkDir, 'image-cache');
}

/**
 * How the kubelet will run containers: runc with the image store when build/images exists and
 * runc can run here, else host processes; one line for the start of the test output.
 */
export async function kubeletMode(): Promise<{ mode: KubeletMode; line: string }> {
  const mode = await detectMode(existsSync(imageStoreDir) ? imageStoreDir : undefined);
  return { mode, line: `kubelet: ${describeMode(mode, relative(repoRoot, imageStoreDir))}` };
}

export async function startEnvironment(options: StartOptions = {}): Promise<Environment> {
  const log = options.log ?? (() => {});
  const binDir = testbinDir();
  const bins = locateBinaries(binDir);
  const workDir = mkdtempSync(join(tmpdir(), 'lifeboat-testenv-'));
  // Servers that drop privileges (postgres, pods with runAsUser) must be able to walk into it.
  chmodSync(workDir, 0o755);
  ensureLogDir(workDir);
  const processes: ManagedProcess[] = [];
  const started = <T extends { process: ManagedProcess } | ManagedProcess>(x: T): T => {
    processes.push(x instanceof ManagedProcess ? x : x.process);
    return x;
  };

  const stop = async () => {
    // Reverse order: the kubelet and controllers go before the API server and etcd.
    for (const p of [...processes].reverse()) await p.stop();
    if (!options.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
  };

  try {
    const pkiDir = join(workDir, 'pki');
    mkdirSync(pkiDir);
    const pki = createPki(pkiDir);
    log(`work dir ${workDir}`);

    const [etcd, postgres, s3, keyValueS3] = await Promise.all([
      startEtcd(bins.etcd, workDir).then(started),
      startPostgres(workDir).then(started),
      startMinio(bins.minio, workDir).then(started),
      startKeyValueS3(bins.gofakes3, workDir).then(started),
    ]);
    log(`etcd ${etcd.url}, PostgreSQL 127.0.0.1:${postgres.port}, S3 ${s3.endpoint} (MinIO) and ${keyValueS3.endpoint} (gofakes3)`);

    const apiserver = started(await startApiServer(bins['kube-apiserver'], workDir, pki, etcd.url));
    log(`kube-apiserver ${apiserver.url}`);

    const imagesFile = join(workDir, 'kubelet-images.json');
    writeFileSync(imagesFile, JSON.stringify(imageMap(), null, 2));
    const { mode, line } = await kubeletMode();
    log(line);
    const kubelet = started(
      new ManagedProcess({
        name: 'process-kubelet',
        command: process.execPath,
        args: [
          join(repoRoot, 'test/env/kubelet/main.ts'),
          '--kubeconfig', apiserver.kubeconfig,
          '--node-name', NODE_NAME,
          '--work-dir', join(workDir, 'kubelet'),
          '--images', imagesFile,
          // The cache is shared with the kubelets tests start, so each image is unpacked once.
          ...(mode.kind === 'runc' ? ['--image-store', imageStoreDir, '--image-cache', imageCacheDir(workDir)] : []),
        ],
        logFile: join(workDir, 'logs/kubelet.log'),
      }),
    );
    kubelet.start();
    await Promise.all([
      startControllerManager(bins['kube-controller-manager'], workDir, pki, apiserver.kubeconfig).then(started),
      startScheduler(bins['kube-scheduler'], workDir, apiserver.kubeconfig).then(started),
    ]);
    await waitForCluster(apiserver.kubeconfig, kubelet);
    log('control plane ready: node Ready, default service account present');

    const info: TestEnvInfo = {
      kubeconfig: apiserver.kubeconfig,
      nodeName: NODE_NAME,
      workDir,
      binDir,
      postgres: { host: postgres.host, port: postgres.port, user: postgres.user, binDir: postgres.binDir },
      s3: { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      keyValueS3: {
        endpoint: keyValueS3.endpoint,
        region: keyValueS3.region,
        accessKeyId: keyValueS3.accessKeyId,
        secretAccessKey: keyValueS3.secretAccessKey,
      },
    };
    const infoFile = join(workDir, 'env.json');
    writeFileSync(infoFile, JSON.stringify(info, null, 2), { mode: 0o600 });
    return { info, infoFile, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

/** The cluster is usable when the kubelet's Node is Ready and the serviceaccount controller has run. */
async function waitForCluster(kubeconfigPath: string, kubelet: ManagedProcess): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  await kubelet.waitUntil(
    'registered as a Ready node',
    async () => {
      const node = await core.readNode({ name: NODE_NAME });
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    },
    60_000,
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new Error('the default ServiceAccount never appeared: is kube-controller-manager running its serviceaccount controller? See its log in the work dir.');
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
