// The container files agree with the build output and with each other: the Dockerfiles run a
// file the build produces, as a non-root user, on the port the settings default to; compose
// and the Kubernetes manifests use the images the Dockerfiles build (pinned to the package
// version) and the same port and models path. No image is built here (no container runtime).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../models/paths.js';
import { SCHEMA } from '../../settings/schema.js';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; engines: { node: string } };
const PORT = (SCHEMA.PORT as unknown as { default: number }).default;
const CPU_IMAGE = `kokoro-gateway:${pkg.version}`;
const CUDA_IMAGE = `kokoro-gateway:${pkg.version}-cuda12`;

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  instructions: Instruction[];
}

/** Dockerfile instructions (continuations joined, comments dropped), grouped by stage. */
function dockerfile(path: string): { args: Map<string, string>; stages: Stage[] } {
  const joined = read(path)
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const rest = m[2]!.trim();
    if (op === 'FROM') stages.push({ from: rest, instructions: [] });
    else if (stages.length === 0 && op === 'ARG') {
      const [k, v] = rest.split('=');
      args.set(k!.trim(), (v ?? '').trim());
    } else stages.at(-1)?.instructions.push({ op, args: rest });
  }
  return { args, stages };
}

const expand = (s: string, args: Map<string, string>) => s.replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? '');
const execForm = (s: string) => JSON.parse(s) as string[];

for (const [file, kind] of [
  ['deploy/docker/Dockerfile', 'cpu'],
  ['deploy/docker/Dockerfile.cuda', 'cuda'],
] as const) {
  test(`${file}: runs the built gateway as a non-root user`, () => {
    const { args, stages } = dockerfile(file);
    const final = stages.at(-1)!;
    const all = (op: string) => final.instructions.filter((i) => i.op === op);
    const one = (op: string) => {
      const found = all(op);
      assert.equal(found.length, 1, `${file}: one ${op} in the final stage`);
      return found[0]!.args;
    };

    // CMD runs a file the build produces, from WORKDIR, in exec form (signals reach Node).
    assert.equal(one('WORKDIR'), '/app');
    const cmd = execForm(one('CMD'));
    assert.deepEqual(cmd, ['node', 'dist/gateway/main.js']);
    assert.ok(existsSync(join(REPO_ROOT, cmd[1]!)), `${cmd[1]} exists in the build output (npm run build)`);
    assert.ok(existsSync(join(REPO_ROOT, 'dist/engine/main.js')), 'the engine entry the gateway forks exists');
    assert.deepEqual(execForm(one('ENTRYPOINT')), ['/usr/bin/tini', '--']);
    assert.match(all('RUN').map((r) => r.args).join('\n'), /apt-get install[^\n]*\btini\b/, 'tini is installed');
    // The runtime stage carries what `node dist/gateway/main.js` needs: package.json ("type":
    // "module"), node_modules and dist, all from the build stage that ran `npm run build`.
    const copies = all('COPY').map((c) => c.args);
    for (const p of ['package.json', 'node_modules', 'dist']) {
      assert.ok(copies.some((c) => new RegExp(`^--from=build /app/${p} `).test(c)), `copies ${p} from the build stage`);
    }
    const build = stages.find((s) => / AS build$/i.test(s.from));
    assert.ok(build, 'a build stage');
    const buildRuns = build.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    assert.match(buildRuns, /npm ci\b/);
    assert.match(buildRuns, /npm run build\b/);
    assert.match(buildRuns, /npm prune --omit=dev/);
    if (kind === 'cuda') {
      assert.match(buildRuns, /npm ci [^\n]*--onnxruntime-node-install=cuda12/);
      assert.match(buildRuns, /libonnxruntime_providers_cuda\.so/, 'the build fails when the CUDA provider was not fetched');
      assert.match(expand(final.from, args), /^nvidia\/cuda:12\.[\d.]+-cudnn-runtime-/, 'CUDA 12 runtime with cuDNN (9) as the base');
    } else {
      assert.match(expand(final.from, args), /^node:\d+-bookworm-slim$/);
    }
    // Node: a supported major (package.json engines: >=20.19; 20.19+, 22, 24 are tested).
    const major = Number(args.get('NODE_VERSION'));
    assert.ok([20, 22, 24].includes(major), `NODE_VERSION ${major} is a supported major`);
    for (const s of stages.filter((s) => s.from.startsWith('node:'))) assert.match(s.from, /^node:\$\{NODE_VERSION\}-bookworm-slim\b/);
    assert.match(all('RUN').map((r) => r.args).join('\n'), /apt-get install[^\n]*\bffmpeg\b/, 'ffmpeg is installed');

    // Non-root, numeric (Kubernetes' runAsNonRoot can only check a numeric user).
    const user = one('USER');
    assert.match(user, /^\d+(:\d+)?$/);
    assert.notEqual(Number(user.split(':')[0]), 0);
    // Port, models volume, health check.
    assert.equal(one('EXPOSE'), String(PORT));
    assert.deepEqual(execForm(one('VOLUME')), ['/models']);
    const env = all('ENV').map((e) => e.args).join(' ');
    assert.match(env, /\bKOKORO_MODELS_DIR=\/models\b/);
    assert.match(env, new RegExp(`\\bPORT=${PORT}\\b`));
    assert.match(one('HEALTHCHECK'), /\/health\b/);
  });
}

test('.dockerignore keeps local builds out of the context and what the build needs in', () => {
  const lines = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const p of ['node_modules', 'dist', '.git', '.cache']) assert.ok(lines.includes(p), `ignores ${p}`);
  for (const p of ['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'gateway', 'engine']) {
    assert.ok(!lines.some((l) => l === p || l === `${p}/` || l === '*'), `keeps ${p}`);
  }
});

test('compose builds and runs the two images on the gateway port with a models volume', () => {
  const text = read('deploy/docker/compose.yaml');
  const images = [...text.matchAll(/^\s+image:\s*(\S+)\s*$/gm)].map((m) => m[1]);
  assert.deepEqual(images.sort(), [CPU_IMAGE, CUDA_IMAGE].sort());
  assert.match(text, /context:\s*\.\.\/\.\.\s*$/m, 'the build context is the repository root');
  const dockerfiles = [...text.matchAll(/^\s+dockerfile:\s*(\S+)\s*$/gm)].map((m) => m[1]!);
  assert.deepEqual(dockerfiles.sort(), ['deploy/docker/Dockerfile', 'deploy/docker/Dockerfile.cuda']);
  for (const d of dockerfiles) assert.ok(existsSync(join(REPO_ROOT, d)), d);
  const ports = [...text.matchAll(/^\s+-\s*"(\d+):(\d+)"\s*$/gm)];
  assert.equal(ports.length, 2);
  for (const [, , container] of ports) assert.equal(Number(container), PORT);
  assert.equal([...text.matchAll(/^\s+-\s*[\w-]+:\/models\s*$/gm)].length, 2, 'each service mounts a models volume at /models');
  assert.match(text, /driver:\s*nvidia/);
  assert.match(text, /capabilities:\s*\[gpu\]/);
});

test('the Kubernetes Deployment runs the CUDA image, pinned, on the gateway port', () => {
  const text = read('deploy/k8s/deployment.yaml');
  const images = [...text.matchAll(/^\s+image:\s*(\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(images, [CUDA_IMAGE]);
  assert.doesNotMatch(text, /:latest\b/);
  // No container-level command/args (same indentation as `image:`; preStop's exec has its own).
  const indent = /^(\s+)image:/m.exec(text)![1]!;
  assert.doesNotMatch(text, new RegExp(`^${indent}(command|args):`, 'm'), "the image's entrypoint (tini) and CMD run the gateway");
  const ports = [...text.matchAll(/containerPort:\s*(\d+)/g)].map((m) => Number(m[1]));
  assert.deepEqual(ports, [PORT]);
  assert.match(text, /name: PORT\s*\n\s*value: "(\d+)"/);
  assert.equal(/name: PORT\s*\n\s*value: "(\d+)"/.exec(text)![1], String(PORT));
  assert.match(text, /name: KOKORO_MODELS_DIR\s*\n\s*value: \/models\b/);
  assert.match(text, /mountPath: \/models\b/);
  assert.match(read('deploy/k8s/service.yaml'), /targetPort: http\b/);
});

test('the YAML files parse (js-yaml, when the dev dependencies bring it)', async (t) => {
  // js-yaml is not a dependency of ours: it comes with pm2 (a dev dependency). Where it is
  // absent the structure checks above still ran; only this parse is skipped.
  let yaml: { loadAll(text: string): unknown[] };
  try {
    yaml = createRequire(import.meta.url)('js-yaml') as typeof yaml;
  } catch {
    t.skip('js-yaml is not installed');
    return;
  }
  const files = [
    'deploy/docker/compose.yaml',
    'deploy/prometheus/alerts.yaml',
    'deploy/prometheus/alerts.test.yaml',
    ...readdirSync(join(REPO_ROOT, 'deploy/k8s')).filter((f) => f.endsWith('.yaml')).map((f) => `deploy/k8s/${f}`),
  ];
  for (const f of files) {
    const docs = yaml.loadAll(read(f)).filter((d) => d != null);
    assert.ok(docs.length > 0, `${f}: a document`);
    for (const d of docs) assert.equal(typeof d, 'object', f);
  }
  const compose = yaml.loadAll(read('deploy/docker/compose.yaml'))[0] as {
    services: Record<string, { image: string; ports: string[]; volumes: string[]; read_only?: boolean }>;
  };
  assert.deepEqual(Object.keys(compose.services).sort(), ['cpu', 'gpu']);
  assert.equal(compose.services.cpu!.image, CPU_IMAGE);
  assert.equal(compose.services.gpu!.image, CUDA_IMAGE);
  for (const s of Object.values(compose.services)) {
    assert.equal(s.read_only, true, 'runs with a read-only root filesystem (merged from the anchor)');
    assert.ok(s.ports.every((p) => p.endsWith(`:${PORT}`)));
  }
  const deployment = yaml.loadAll(read('deploy/k8s/deployment.yaml'))[0] as {
    kind: string;
    spec: { template: { spec: { containers: Array<{ image: string; ports: Array<{ containerPort: number }> }> } } };
  };
  assert.equal(deployment.kind, 'Deployment');
  const [container] = deployment.spec.template.spec.containers;
  assert.equal(container!.image, CUDA_IMAGE);
  assert.equal(container!.ports[0]!.containerPort, PORT);
});
