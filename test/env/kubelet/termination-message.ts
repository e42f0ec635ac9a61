// The termination message a container leaves behind: the file at terminationMessagePath (up
// to 4096 bytes), or with FallbackToLogsOnError and an empty file after a failure, the tail of
// its log (80 lines, at most 2048 bytes), as the real kubelet reports it.
import { open } from 'node:fs/promises';

const maxMessageBytes = 4096;
const fallbackLines = 80;
const fallbackBytes = 2048;

export async function terminationMessage(options: {
  messageFile: string;
  logFile: string;
  policy: string | undefined;
  exitCode: number;
}): Promise<string | undefined> {
  const fromFile = await readHead(options.messageFile, maxMessageBytes);
  if (fromFile) return fromFile;
  if (options.policy === 'FallbackToLogsOnError' && options.exitCode !== 0) {
    const tail = await readTail(options.logFile, fallbackBytes);
    const lines = tail.split('\n');
    const lastLines = lines.slice(-(fallbackLines + (tail.endsWith('\n') ? 1 : 0))).join('\n');
    return lastLines || undefined;
  }
  return undefined;
}

async function readHead(file: string, maxBytes: number): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

export async function readTail(file: string, maxBytes: number): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
