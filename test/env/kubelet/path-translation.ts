// PATH TRANSLATION. The process kubelet has no mount namespace: a container process sees the
// host's file system, so a volume mounted at /data is really a directory under the work dir.
// To keep programs working unchanged, every env value, command word, arg and workingDir that
// names a mount path is rewritten to the host directory:
//   - a value equal to a mountPath, or starting with "<mountPath>/", is rewritten;
//   - so is the value part of a flag like "--out=/data/x" or "-f=/data/x";
//   - the terminationMessagePath (default /dev/termination-log) is mapped to a per-container
//     host file in the same way, so `--result-file /dev/termination-log` writes to that file.
// One exception: the termination message path is also rewritten where it appears inside a
// string as a whole word, so `sh -c 'echo done > /dev/termination-log'` writes the host file
// and never the real /dev. Mount paths embedded anywhere else (inside a shell script, in JSON)
// are NOT rewritten, and programs
// that open a fixed path on their own (e.g. /var/run/secrets/kubernetes.io/serviceaccount)
// do not find it. Each string is translated exactly once, after $(VAR) expansion, because a
// host directory may itself start with a mount path (an emptyDir at /tmp).

export interface PathMapping {
  /** Path as the container would see it (a mountPath or the termination message path). */
  readonly containerPath: string;
  /** Where it really is on this machine. */
  readonly hostPath: string;
}

export type PathTranslator = (value: string) => string;

const flagWithValue = /^(-{1,2}[^=\s]+=)(\/.*)$/s;

/**
 * @param embedded files (the termination message path) that are also rewritten inside a
 * string, where they stand as a whole word.
 */
export function makePathTranslator(mappings: readonly PathMapping[], embedded: readonly PathMapping[] = []): PathTranslator {
  const ordered = mappings
    .map((m) => ({ containerPath: trimTrailingSlash(m.containerPath), hostPath: m.hostPath }))
    // "/" would swallow every absolute path; a mount there cannot be translated.
    .filter((m) => m.containerPath !== '')
    // The longest mount wins, so /data/cache maps before /data.
    .sort((a, b) => b.containerPath.length - a.containerPath.length);

  const translatePath = (value: string): string | undefined => {
    for (const { containerPath, hostPath } of ordered) {
      if (value === containerPath) return hostPath;
      if (value.startsWith(`${containerPath}/`)) return hostPath + value.slice(containerPath.length);
    }
    return undefined;
  };

  const embeddedPatterns = embedded.map((m) => ({
    pattern: new RegExp(`(?<=^|[\\s'"\`=<>(;|&])${escapeRegExp(m.containerPath)}(?=$|[\\s'"\`;|&)<>])`, 'g'),
    hostPath: m.hostPath,
  }));

  return (value) => {
    const direct = translatePath(value);
    if (direct !== undefined) return direct;
    const flag = flagWithValue.exec(value);
    if (flag) {
      const translated = translatePath(flag[2] ?? '');
      if (translated !== undefined) return (flag[1] ?? '') + translated;
    }
    return embeddedPatterns.reduce((text, { pattern, hostPath }) => text.replace(pattern, () => hostPath), value);
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function trimTrailingSlash(path: string): string {
  return path.replace(/\/+$/, '');
}
