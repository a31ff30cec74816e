/** `wasmgate manifests`: the webhook configurations (and, with --rbac, the ClusterRole), for kubectl apply. */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { rbacYaml } from '../deploy/rbac.js';
import { webhookYaml } from '../deploy/webhooks.js';
import { labelKey } from './options.js';

export function registerManifests(program: Command): void {
  program
    .command('manifests')
    .description("print wasmgate's MutatingWebhookConfiguration and ValidatingWebhookConfiguration for kubectl apply")
    .option('-c, --config <file>', 'YAML config file (the match conditions name its marker annotations)')
    .option('--url <url>', 'reach the webhook at this https URL base (local runs), instead of a Service')
    .option('--service <name>', 'Service name', 'wasmgate')
    .option('--namespace <ns>', 'Service namespace (also excluded from admission, with kube-system)', 'wasmgate')
    .option('--ca-bundle <base64>', 'caBundle, as printed by `wasmgate certs`')
    .option(
      '--opt-out-label <key>',
      'namespaces carrying this label (any value) are never sent to wasmgate (the chart uses wasmgate.dev/ignore)',
      labelKey,
    )
    .option('--rbac', 'print instead the ClusterRole with exactly the verbs wasmgate needs (derived from its table of kinds)')
    .action(
      async (opts: {
        config?: string;
        url?: string;
        service: string;
        namespace: string;
        caBundle?: string;
        optOutLabel?: string;
        rbac?: boolean;
      }) => {
        if (opts.rbac === true) {
          process.stdout.write(rbacYaml());
          return;
        }
        const config = await loadConfig(opts.config);
        const client = opts.url !== undefined ? { url: opts.url } : { service: { name: opts.service, namespace: opts.namespace } };
        process.stdout.write(
          webhookYaml(config, {
            client: { ...client, ...(opts.caBundle === undefined ? {} : { caBundle: opts.caBundle }) },
            excludeNamespaces: [opts.namespace],
            ...(opts.optOutLabel === undefined ? {} : { optOutLabel: opts.optOutLabel }),
          }),
        );
      },
    );
}
