import { writeFileSync } from 'node:fs';
import { readTextFile } from './files.js';
import type { Command } from 'commander';
import {
  AppError,
  countersignCertificate,
  getCertificate,
  issueCertificate,
  publishedStatusList,
  publishedStatusLists,
  revokeCertificate,
  verifyCertificateJws,
  verifyStoredCertificate,
  type AppContext,
  type Certificate,
  type CertificateReport,
} from '../app/index.js';
import { formatGrams, formatMass, formatMoney, isoDateValue, parseJsonText, ValidationError } from '../domain/index.js';

export interface CertificateCommandDeps {
  readonly io: { readonly out: NodeJS.WritableStream; readonly err: NodeJS.WritableStream };
  /** Opens the application for one command and closes it afterwards. */
  readonly withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
}

/** Runs `fn` on a file's JSON, prefixing a validation error's field with the file name. */
async function withFile<T>(path: string, fn: (input: unknown) => Promise<T>): Promise<T> {
  const input = parseJsonText(readTextFile(path), path);
  try {
    return await fn(input);
  } catch (e) {
    if (e instanceof ValidationError)
      throw new ValidationError(
        `${path}: ${e.field ?? ''}`.replace(/: $/, ''),
        e.message.slice((e.field ?? '').length + 2),
      );
    throw e;
  }
}

/** A certificate file: a compact JWS (header.payload.signature, as text) or a JSON serialization. */
function readCertificateFile(path: string): unknown {
  const text = readTextFile(path);
  const trimmed = text.trim();
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(trimmed) ? trimmed : parseJsonText(text, path);
}

function writeJws(path: string, c: Certificate): void {
  writeFileSync(path, `${JSON.stringify(c.jws, null, 2)}\n`);
}

export function formatCertificate(c: Certificate): string {
  const s = c.subject;
  const u = s.undertakings;
  const lines = [
    `certificate ${c.id}  (${c.status}${c.revokedBy === null ? '' : ` by ${c.revokedBy}: ${c.revocationReason ?? ''}`})`,
    `  issued by ${c.issuer} (journal entry ${c.seq})${c.countersignedBy === null ? ', not countersigned' : `, countersigned by ${c.countersignedBy}`}`,
    `  exporter ${s.exporter} → importer ${s.importer}, end user ${s.endUser}`,
    `  valid ${s.validity.from} to ${s.validity.until}; status list entry ${c.statusIndex}`,
    `  end use: ${s.endUse.description} [${s.endUse.purposes.join(', ')}]${s.endUse.endProduct === undefined ? '' : `; end product: ${s.endUse.endProduct}`}`,
    '  items:',
    ...s.items.map(
      (i) =>
        `    ${i.controlCode.padEnd(10)} HS ${i.hsCode.padEnd(10)} ${formatMass({ grams: i.quantityGrams }).padStart(12)}  ${formatMoney(i.value).padStart(18)}  ${i.description}`,
    ),
    '  undertakings:',
    `    ${u.noWmdUse ? 'no' : 'does not exclude'} WMD use; ${u.noMilitaryUse ? 'no' : 'does not exclude'} military use`,
    `    ${u.noReexportWithoutConsent ? `no re-export or transfer without the consent of ${u.consentAuthority}` : `re-export consent authority ${u.consentAuthority}`}`,
    `    prohibited destinations: ${u.prohibitedDestinations.length === 0 ? 'none' : u.prohibitedDestinations.join(', ')}${u.useOnlyIn === undefined ? '' : `; use only in ${u.useOnlyIn}`}`,
    `    ${u.extendsToIncorporatingProducts ? 'extends' : 'does not extend'} to products incorporating the items; post-shipment verification ${u.postShipmentVerificationConsent ? 'accepted' : 'not accepted'}; notice of changes ${u.noticeOfChanges ? 'promised' : 'not promised'}`,
  ];
  return lines.join('\n');
}

function formatReport(r: CertificateReport): string {
  const head = r.ok ? `VALID as of ${r.asOf}` : `REFUSED as of ${r.asOf}`;
  const signers = r.certificate?.signers.map((s) => `${s.role} ${s.partyId} (${s.kid})`).join(', ');
  return [
    `certificate ${r.id}: ${head}`,
    ...(signers === undefined ? [] : [`  signatures verified: ${signers}`]),
    ...r.refusals.map((x) => `  refused (${x.rule}): ${x.message}`),
  ].join('\n');
}

function print(out: NodeJS.WritableStream, text: string): void {
  out.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** `lodestone certificates issue|countersign|revoke|verify|show`. */
export function registerCertificateCommands(program: Command, deps: CertificateCommandDeps): Command {
  const { io, withApp } = deps;
  const certificates = program
    .command('certificates')
    .description('end-user certificates: signed by the end user, countersigned by the importing government, revocable');

  certificates
    .command('issue')
    .description(
      'issue an end-user certificate from a JSON file (exporter, importer, endUser, items, endUse, undertakings, validity), signed by the end user',
    )
    .argument('<certificate.json>')
    .requiredOption('--as <party>', 'the end user, who signs the certificate')
    .option('--out <file.jws>', 'also write the signed certificate (General JWS JSON) to this file')
    .option('--json', 'print the signed certificate (General JWS JSON)')
    .action(async (file: string, opts: { as: string; out?: string; json?: boolean }) => {
      const c = await withFile(file, (input) => withApp((ctx) => issueCertificate(ctx, opts.as, input)));
      if (opts.out !== undefined) writeJws(opts.out, c);
      print(
        io.out,
        opts.json
          ? JSON.stringify(c.jws, null, 2)
          : `issued ${c.id}, signed by ${c.issuer}, journal entry ${c.seq}${opts.out === undefined ? '' : `; written to ${opts.out}`}`,
      );
    });

  certificates
    .command('countersign')
    .description("countersign a certificate as the government of the importer's country (the payload is unchanged)")
    .argument('<id>')
    .requiredOption('--as <party>', 'the government party')
    .option('--out <file.jws>', 'also write the countersigned certificate to this file')
    .action(async (id: string, opts: { as: string; out?: string }) => {
      const c = await withApp((ctx) => countersignCertificate(ctx, opts.as, id));
      if (opts.out !== undefined) writeJws(opts.out, c);
      print(io.out, `countersigned ${c.id} as ${opts.as}${opts.out === undefined ? '' : `; written to ${opts.out}`}`);
    });

  certificates
    .command('revoke')
    .description('revoke a certificate (its issuer or the countersigning government)')
    .argument('<id>')
    .requiredOption('--as <party>', 'the issuer or the countersigning government')
    .requiredOption('--reason <text>', 'why')
    .action(async (id: string, opts: { as: string; reason: string }) => {
      const c = await withApp((ctx) => revokeCertificate(ctx, opts.as, id, opts.reason));
      print(io.out, `revoked ${c.id} (status list entry ${c.statusIndex}): ${c.revocationReason ?? ''}`);
      if (c.suspendedLicences.length > 0)
        print(
          io.out,
          `suspended licence${c.suspendedLicences.length > 1 ? 's' : ''} ${c.suspendedLicences.join(', ')} (their authorities alerted); no shipment under ${c.suspendedLicences.length > 1 ? 'them' : 'it'} is accepted`,
        );
    });

  certificates
    .command('verify')
    .description(
      'verify a recorded certificate (by id) or a certificate file (.jws): signatures, revocation, validity; exits non-zero if refused',
    )
    .argument(
      '<id-or-file>',
      'a certificate id (urn:uuid:…) or a JWS file: compact, flattened or general JSON serialization',
    )
    .option('--as-of <YYYY-MM-DD>', 'check validity on this date (default: today, UTC)')
    .option('--json', 'print the report as JSON')
    .action(async (target: string, opts: { asOf?: string; json?: boolean }) => {
      const asOf = opts.asOf === undefined ? undefined : isoDateValue(opts.asOf, '--as-of');
      const report = await withApp((ctx) =>
        target.startsWith('urn:uuid:')
          ? verifyStoredCertificate(ctx, target, asOf)
          : verifyCertificateJws(ctx, readCertificateFile(target), asOf),
      );
      print(
        io.out,
        opts.json
          ? JSON.stringify(
              {
                id: report.id,
                asOf: report.asOf,
                ok: report.ok,
                recorded: report.recorded,
                signers: report.certificate?.signers ?? [],
                refusals: report.refusals,
              },
              null,
              2,
            )
          : formatReport(report),
      );
      const first = report.refusals[0];
      if (first !== undefined)
        throw new AppError(
          'CERTIFICATE_REFUSED',
          `certificate ${report.id} refused (${first.rule}): ${first.message}`,
          { field: first.rule },
        );
    });

  certificates
    .command('status-list')
    .description(
      'export revocation status lists as published at <public URL>/status-lists/<party>/revocation (W3C Bitstring Status List credentials secured as compact JWS, signed by this deployment), for offline checking',
    )
    .option('--issuer <party>', "only this issuer's list: printed (or written) as the compact JWS itself")
    .option('--out <file>', 'write to this file instead of printing')
    .action(async (opts: { issuer?: string; out?: string }) => {
      const text = await withApp(async (ctx) => {
        if (opts.issuer !== undefined) return `${(await publishedStatusList(ctx, opts.issuer)).jws}\n`;
        // Every issuer's list, keyed by the URL certificates name in credentialStatus.statusListCredential.
        const all = await publishedStatusLists(ctx);
        return `${JSON.stringify(Object.fromEntries(all.map((l) => [l.url, l.jws])), null, 2)}\n`;
      });
      if (opts.out === undefined) io.out.write(text);
      else {
        writeFileSync(opts.out, text);
        print(io.out, `written to ${opts.out}`);
      }
    });

  certificates
    .command('show')
    .description('show a recorded certificate')
    .argument('<id>')
    .option('--json', 'print the credential, its status and the JWS as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const c = await withApp((ctx) => getCertificate(ctx, id));
      if (opts.json) {
        const { credential, jws, status, statusIndex, countersignedBy, revokedBy, revocationReason, seq, claims } = c;
        print(
          io.out,
          JSON.stringify(
            { credential, status, statusIndex, countersignedBy, revokedBy, revocationReason, seq, claims, jws },
            null,
            2,
          ),
        );
      } else {
        print(io.out, formatCertificate(c));
        for (const l of c.claims) {
          print(
            io.out,
            `  claimed of ${l.controlCode} (HS ${l.hsCode}): ${formatGrams(l.claimedGrams)} of ${formatGrams(l.ceilingGrams)}, ` +
              `${formatGrams(l.remainingGrams)} remaining`,
          );
          for (const x of l.claims)
            print(
              io.out,
              `    ${x.licenceId} (${x.status}): ${formatGrams(x.grams)}, approved at journal entry ${x.seq}`,
            );
        }
      }
    });

  return certificates;
}
