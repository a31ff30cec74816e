/** `wasmgate certs`: a CA and a serving certificate for the webhook Service. */
import { InvalidArgumentError, type Command } from 'commander';
import { caBundle, generateWebhookCerts, writeWebhookCerts } from '../certs/generate.js';

export function registerCerts(program: Command): void {
  program
    .command('certs')
    .description('make a CA and a serving certificate for the webhook Service; prints the base64 caBundle')
    .requiredOption('--service <name>', 'Service name of the webhook')
    .requiredOption('--namespace <ns>', 'namespace of the Service')
    .option('--out <dir>', 'output directory for ca.crt, tls.crt, tls.key', 'certs')
    .option(
      '--days <n>',
      'validity of the serving certificate in days',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number');
        return n;
      },
      365,
    )
    .action(async (opts: { service: string; namespace: string; out: string; days: number }) => {
      const certs = await generateWebhookCerts(opts.service, opts.namespace, opts.days);
      await writeWebhookCerts(opts.out, certs);
      process.stderr.write(
        `wrote ${opts.out}/ca.crt, ${opts.out}/tls.crt, ${opts.out}/tls.key (SANs for ${opts.service}.${opts.namespace}.svc)\n`,
      );
      process.stdout.write(`${caBundle(certs.ca.cert)}\n`);
    });
}
