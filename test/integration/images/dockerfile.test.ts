// images/<name>/Dockerfile repeats what hack/images/build.sh gives the OCI layout (user,
// working directory, environment, labels, entry point) and builds its file system with the same
// script from the same package list. Docker cannot run here, so this is what keeps the two paths
// from drifting: the Dockerfile's settings are compared with the config make images wrote.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { ImageName } from '../../../src/contract/images.ts';
import { describeBuiltImages, imagesSummary, packageVersion, readLayout, REPO_ROOT } from './image-layout.ts';

interface DockerfileSettings {
  user?: string;
  workdir?: string;
  env: string[];
  labels: Record<string, string>;
  entrypoint?: string[];
  /** The instructions of the last stage, and the build stage's RUN lines. */
  finalStage: string[];
  runs: string[];
}

/** KEY=value pairs as ENV and LABEL write them (no quoting in ours). */
function pairs(text: string): [string, string][] {
  return text
    .trim()
    .split(/\s+/)
    .map((pair) => {
      const equals = pair.indexOf('=');
      return [pair.slice(0, equals), pair.slice(equals + 1)];
    });
}

function readDockerfile(name: ImageName): DockerfileSettings {
  const text = readFileSync(join(REPO_ROOT, 'images', name, 'Dockerfile'), 'utf8');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const lastFrom = instructions.findLastIndex((line) => /^FROM\s/i.test(line));
  const finalStage = instructions.slice(lastFrom);
  const settings: DockerfileSettings = { env: [], labels: {}, finalStage, runs: instructions.slice(0, lastFrom).filter((line) => /^RUN\s/.test(line)) };
  for (const line of finalStage) {
    const [, keyword = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (keyword === 'USER') settings.user = rest;
    if (keyword === 'WORKDIR') settings.workdir = rest;
    if (keyword === 'ENV') settings.env.push(...pairs(rest).map(([key, value]) => `${key}=${value}`));
    if (keyword === 'LABEL') Object.assign(settings.labels, Object.fromEntries(pairs(rest)));
    if (keyword === 'ENTRYPOINT') settings.entrypoint = JSON.parse(rest) as string[];
  }
  return settings;
}

describe.each<ImageName>(['operator', 'runner'])('images/%s/Dockerfile', (name) => {
  const dockerfile = readDockerfile(name);

  it('builds the file system with hack/images/build.sh from images/<name>/packages and copies it into an empty image', () => {
    expect(dockerfile.runs.join('\n')).toMatch(new RegExp(`LIFEBOAT_IMAGES=${name} .*bash hack/images/build\\.sh`));
    // Root mode, as make images: chrootless mode builds another file system (docs/images.md).
    expect(dockerfile.runs.join('\n')).toContain('LIFEBOAT_MMDEBSTRAP_MODE=root');
    expect(dockerfile.finalStage[0]).toBe('FROM scratch');
    expect(dockerfile.finalStage[1]).toBe(`COPY --from=build /out/${name}/ /`);
    // Nothing in the final stage runs: it has no shell to need.
    expect(dockerfile.finalStage.filter((line) => /^(RUN|ADD)\s/.test(line))).toEqual([]);
  });

  it('labels the version in package.json', () => {
    expect(dockerfile.labels['org.opencontainers.image.version']).toBe(packageVersion());
  });

  describeBuiltImages('against the OCI layout', () => {
    it('has the user, working directory, environment, labels and entry point of the layout make images wrote', () => {
      const summary = imagesSummary()[name];
      const { config } = readLayout(summary?.layout ?? '', summary?.tag ?? '');
      expect({ user: dockerfile.user, workdir: dockerfile.workdir, env: dockerfile.env, labels: dockerfile.labels, entrypoint: dockerfile.entrypoint }).toEqual({
        user: config.User,
        workdir: config.WorkingDir,
        env: config.Env,
        labels: config.Labels,
        entrypoint: config.Entrypoint,
      });
    });
  });
});
