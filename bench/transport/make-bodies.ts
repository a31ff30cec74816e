/**
 * `npm run bench:transport:bodies`: regenerate bench/transport/fixtures/ from a real
 * kube-apiserver. Each pod of bench/transport/pods.ts is created with `?dryRun=All`, so the API
 * server defaults it (and adds managedFields, a name from generateName, the RuntimeClass's
 * scheduling for the validate variant) exactly as it would before calling admission webhooks;
 * the object it returns is what a webhook receives as request.object. The fixtures are committed,
 * so the transport benchmark itself needs no control plane.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../../src/controlplane/index.js';
import { adminClient } from '../api.js';
import { RUNTIME_CLASSES } from '../shared.js';
import { makePod, POD_SIZES } from './pods.js';

const HERE = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({ scheduler: false, log: (l) => process.stderr.write(`[controlplane] ${l}\n`) });
    const api = adminClient(cp);
    const version = JSON.parse((await api.must('GET', '/version')).body) as { gitVersion: string };
    await api.must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    const rc = RUNTIME_CLASSES[0];
    await api.must('POST', '/apis/node.k8s.io/v1/runtimeclasses', {
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: rc.name },
      handler: rc.handler,
      scheduling: { nodeSelector: rc.nodeSelector, tolerations: rc.tolerations },
    });
    for (const size of POD_SIZES) {
      for (const endpoint of ['mutate', 'validate'] as const) {
        const res = await api.must(
          'POST',
          '/api/v1/namespaces/shop/pods?dryRun=All&fieldManager=kube-controller-manager',
          makePod(size, endpoint === 'validate'),
        );
        const pod = JSON.parse(res.body) as Record<string, unknown>;
        const text = `${JSON.stringify(pod, null, 2)}\n`;
        const file = join(HERE, 'fixtures', `pod-${size.label}-${endpoint}.json`);
        writeFileSync(file, text);
        process.stdout.write(
          `${file}: ${Buffer.byteLength(JSON.stringify(pod))} bytes compact (target ${size.targetBytes}), from kube-apiserver ${version.gitVersion}\n`,
        );
      }
    }
    api.close();
  } finally {
    await cp?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
