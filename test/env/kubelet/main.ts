// node test/env/kubelet/main.ts --kubeconfig <path> --node-name <name> --work-dir <dir> [--images <json file>] [--image-store <dir>]
// Runs the process kubelet until SIGTERM/SIGINT, then stops every container process and exits 0.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startKubelet } from './kubelet.ts';

const usage =
  'usage: node test/env/kubelet/main.ts --kubeconfig <path> --node-name <name> --work-dir <dir> [--images <json file>] [--image-store <dir>] [--image-cache <dir>] [--unschedulable] [--complete-runner-pods] [--log-port <port>] [--log-level <level>]';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'node-name': { type: 'string' },
    'work-dir': { type: 'string' },
    images: { type: 'string' },
    'image-store': { type: 'string' },
    'image-cache': { type: 'string' },
    unschedulable: { type: 'boolean', default: false },
    'complete-runner-pods': { type: 'boolean', default: false },
    'log-port': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
  },
});
if (!values.kubeconfig || !values['node-name'] || !values['work-dir']) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}

const logger = pino({ name: 'process-kubelet', level: values['log-level'] }, pino.destination({ dest: 2, sync: true }));
const kubelet = await startKubelet({
  kubeconfig: values.kubeconfig,
  nodeName: values['node-name'],
  workDir: values['work-dir'],
  ...(values.images ? { imagesFile: values.images } : {}),
  ...(values['image-store'] ? { imageStore: values['image-store'] } : {}),
  ...(values['image-cache'] ? { imageCache: values['image-cache'] } : {}),
  unschedulable: values.unschedulable,
  completeRunnerPods: values['complete-runner-pods'],
  ...(values['log-port'] ? { logPort: Number(values['log-port']) } : {}),
  logger,
}).catch((error: unknown) => {
  logger.fatal({ err: error }, 'process kubelet failed to start');
  process.exit(1);
});

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  kubelet.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'stopping failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
