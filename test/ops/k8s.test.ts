// The Kubernetes manifests are hardened: non-root, read-only root filesystem with emptyDirs for
// what is written, every capability dropped, seccomp RuntimeDefault, no service-account token,
// API keys from a Secret, a pinned image, and a NetworkPolicy that admits only the gateway port.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../models/paths.js';
import { SCHEMA } from '../../settings/schema.js';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');
const PORT = (SCHEMA.PORT as unknown as { default: number }).default;
const pkg = JSON.parse(read('package.json')) as { version: string };
// js-yaml comes with pm2 (a dev dependency), as in containers.test.ts.
let yaml: { load(text: string): unknown } | undefined;
try {
  yaml = createRequire(import.meta.url)('js-yaml') as typeof yaml;
} catch {
  yaml = undefined;
}
const skip = yaml ? false : 'js-yaml is not installed';

type Any = any;

test('the Deployment runs hardened: non-root, read-only root, no capabilities, seccomp, no token', { skip }, () => {
  const d = yaml!.load(read('deploy/k8s/deployment.yaml')) as Any;
  const pod = d.spec.template.spec;
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 10001, 'the image user (deploy/docker: uid 10001)');
  assert.equal(pod.securityContext.fsGroup, 10001);
  assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0];
  assert.equal(c.image, `kokoro-gateway:${pkg.version}-cuda12`, 'a pinned tag');
  assert.doesNotMatch(c.image, /:latest$|@$/);
  const sc = c.securityContext;
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.equal(sc.runAsNonRoot, true);
  assert.notEqual(sc.privileged, true);
  assert.deepEqual(sc.capabilities.drop, ['ALL']);
  assert.equal(sc.capabilities.add, undefined);

  // Every path written is a volume: /tmp (encoder temp folder), /models, the cache.
  const mounts = new Map<string, Any>(c.volumeMounts.map((m: Any) => [m.mountPath, m]));
  const volumes = new Map<string, Any>(pod.volumes.map((v: Any) => [v.name, v]));
  const env = new Map<string, string>(c.env.map((e: Any) => [e.name, e.value]));
  assert.ok(volumes.get(mounts.get('/tmp')?.name)?.emptyDir, '/tmp is an emptyDir');
  assert.ok(mounts.has('/models'));
  const cache = env.get('KOKORO_CACHE_DIR')!;
  assert.ok([...mounts.keys()].some((m) => cache.startsWith(`${m}/`)), 'the cache root is a folder inside a mounted volume (made 0700 by the gateway)');
  assert.equal(env.get('TMPDIR') ?? '/tmp', '/tmp');

  // API keys: a file from a Secret, by default.
  const keysFile = env.get('API_KEYS_FILE')!;
  assert.ok(keysFile, 'API_KEYS_FILE is set');
  const keysMount = [...mounts.values()].find((m) => keysFile.startsWith(`${m.mountPath}/`));
  assert.ok(keysMount, 'API_KEYS_FILE is inside a mount');
  assert.equal(keysMount.readOnly, true);
  const secret = volumes.get(keysMount.name).secret;
  assert.ok(secret?.secretName, 'the mount is a Secret');
  assert.notEqual(secret.optional, true, 'required: no open API by accident');
  assert.equal(keysFile, `${keysMount.mountPath}/api-keys`);
  assert.ok(!c.env.some((e: Any) => e.name === 'API_KEYS' && e.value), 'no key in the manifest');
});

test('the NetworkPolicy admits only the gateway port, and limits egress to DNS and HTTPS', { skip }, () => {
  const p = yaml!.load(read('deploy/k8s/networkpolicy.yaml')) as Any;
  assert.equal(p.kind, 'NetworkPolicy');
  const d = yaml!.load(read('deploy/k8s/deployment.yaml')) as Any;
  assert.deepEqual(p.spec.podSelector.matchLabels, d.spec.template.metadata.labels);
  assert.deepEqual([...p.spec.policyTypes].sort(), ['Egress', 'Ingress']);
  for (const rule of p.spec.ingress) {
    assert.ok(rule.from?.length > 0, 'every ingress rule names its sources');
    assert.deepEqual(rule.ports, [{ protocol: 'TCP', port: PORT }]);
  }
  const egressPorts = p.spec.egress.flatMap((r: Any) => r.ports.map((x: Any) => `${x.protocol}/${x.port}`)).sort();
  assert.deepEqual(egressPorts, ['TCP/443', 'TCP/53', 'UDP/53']);
});

test('plain-text checks that need no YAML parser', () => {
  const text = read('deploy/k8s/deployment.yaml');
  for (const re of [/readOnlyRootFilesystem: true/, /allowPrivilegeEscalation: false/, /drop: \["ALL"\]/, /type: RuntimeDefault/, /automountServiceAccountToken: false/, /runAsNonRoot: true/, /secretName: kokoro-gateway-api-keys/]) {
    assert.match(text, re);
  }
  assert.match(read('deploy/k8s/networkpolicy.yaml'), /kind: NetworkPolicy/);
});
