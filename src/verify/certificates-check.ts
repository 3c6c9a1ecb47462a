import {
  claimedGrams,
  certificateLineKey,
  formatGrams,
  parseCertificateSubject,
  restrictionTerms,
  type CertificateSubject,
  type Licence,
} from '../domain/index.js';
import { STATUS_REVOKED_RECORD, type SignedRecord } from '../trust/index.js';
import { VerifyError } from './errors.js';
import { isObject, list, type JsonObject } from './json.js';

const g = formatGrams;

/**
 * Pure step 6: the end-user certificates behind the bundle's licences, re-checked from the records
 * (issue 18, items 2–4):
 *
 * - **No double claim.** Every approval relying on a certificate carries its claim on the
 *   certificate's lines (`claim` in `application.decided`): the ceiling must be the certificate's
 *   quantity, the grams the licence's lines for that item, the claim before it at least what the
 *   approvals earlier in the bundle claimed, and the total within the ceiling.
 * - **The undertakings travel.** An approval must not drop an undertaking (prohibited
 *   destinations, "use only in", binding on products), and the restriction each licensed shipment
 *   of the bundle's licence creates must be the union of the licence's conditions and the
 *   certificate's undertakings.
 * - **Revocation stops material.** No approval relies on a certificate after its revocation, no
 *   shipment under a licence relying on it is recorded after it, and every shipment recorded after
 *   it that carries a restriction of that certificate carries the revocation (its journal entry).
 *
 * What the bundle leaves out cannot be re-checked: a claim of a licence whose approval is not in
 * the bundle is visible only through the next approval's `claimedBeforeGrams`.
 */

export interface CertificatesCheck {
  /** Certificates issued in the bundle. */
  readonly certificates: number;
  /** Approvals whose certificate claims were re-checked. */
  readonly claims: number;
  /** Revocations in the bundle. */
  readonly revocations: number;
  /** Licensed shipments whose restriction was re-derived as the licence's conditions ∪ the certificate's undertakings. */
  readonly restrictions: number;
}

function fail(message: string, cause?: unknown): never {
  throw new VerifyError('REPLAY', message, cause === undefined ? {} : { cause });
}

/** Where a certificate's revocation bit is: its credentialStatus (absent in certificates issued without one). */
interface StatusEntry {
  readonly url: string;
  readonly index: number;
}

/** The credential subject inside a certificate.issued record's JWS payload (base64url of the credential). */
function issuedSubject(
  body: JsonObject,
  where: string,
): { id: string; subject: CertificateSubject; status?: StatusEntry } {
  const jws = isObject(body.jws) ? body.jws : {};
  try {
    const credential = JSON.parse(Buffer.from(String(jws.payload), 'base64url').toString('utf8')) as JsonObject;
    const { id: _subjectId, ...subject } = isObject(credential.credentialSubject) ? credential.credentialSubject : {};
    if (typeof credential.id !== 'string') fail(`${where}: the credential has no id`);
    const cs = isObject(credential.credentialStatus) ? credential.credentialStatus : undefined;
    const status =
      cs !== undefined && typeof cs.statusListCredential === 'string' && typeof cs.statusListIndex === 'string'
        ? { status: { url: cs.statusListCredential, index: Number(cs.statusListIndex) } }
        : {};
    return { id: credential.id, subject: parseCertificateSubject(subject, 'credentialSubject'), ...status };
  } catch (e) {
    if (e instanceof VerifyError) throw e;
    return fail(`${where}: the certificate's credential does not parse: ${(e as Error).message}`, e);
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

export function recheckCertificates(
  records: readonly SignedRecord[],
  leafIndexes: readonly number[],
  licenceId: string,
): CertificatesCheck {
  const subjects = new Map<string, CertificateSubject>();
  const statuses = new Map<string, StatusEntry | undefined>();
  const revoked = new Map<string, { seq: number; reason: string }>();
  // The first revocation counts: a peer's certificate is revoked here when its bit is seen in the
  // peer's list (federation.status-revoked), and the peer's own certificate.revoked, imported later,
  // changes nothing (app/federation.ts applies it as already seen).
  const revoke = (id: string, seq: number, reason: string) => {
    if (!revoked.has(id)) revoked.set(id, { seq, reason });
  };
  const licences = new Map<string, Licence>();
  const claimedSoFar = new Map<string, number>();
  let claims = 0;
  let restrictions = 0;
  records.forEach((r, i) => {
    const b = isObject(r.payload.body) ? r.payload.body : {};
    const seq = (leafIndexes[i] ?? -1) + 1;
    const where = `entry ${i} (journal entry ${seq}, ${r.payload.type})`;
    switch (r.payload.type) {
      case 'certificate.issued': {
        const { id, subject, status } = issuedSubject(b, where);
        subjects.set(id, subject);
        statuses.set(id, status);
        break;
      }
      case 'certificate.revoked':
        if (typeof b.certificateId === 'string') revoke(b.certificateId, seq, String(b.reason));
        break;
      case STATUS_REVOKED_RECORD: {
        // Its list, signature and bit were checked with the peer's pinned key (peer-check.ts); here,
        // that the bit is the certificate's own.
        const id = String(b.certificateId);
        if (!statuses.has(id))
          fail(
            `${where}: revokes certificate ${id}, whose issuance is not in the bundle: its bit cannot be tied to it`,
          );
        const status = statuses.get(id);
        if (status === undefined || status.url !== b.statusListUrl || status.index !== b.statusIndex)
          fail(
            `${where}: revokes certificate ${id} by bit ${String(b.statusIndex)} of ${String(b.statusListUrl)}, but the certificate's status entry is ${status === undefined ? 'absent' : `bit ${status.index} of ${status.url}`}`,
          );
        revoke(id, seq, `bit ${String(b.statusIndex)} set in ${String(b.node)}'s status list`);
        break;
      }
      case 'application.decided': {
        if (b.decision !== 'approved' || !isObject(b.licence)) break;
        const licence = b.licence as unknown as Licence;
        licences.set(licence.id, licence);
        const certificateId = licence.certificateId;
        if (certificateId === undefined) break;
        const revocation = revoked.get(certificateId);
        if (revocation !== undefined)
          fail(
            `${where}: licence ${licence.id} is approved on certificate ${certificateId}, revoked at journal entry ${revocation.seq}`,
          );
        const subject = subjects.get(certificateId);
        if (subject === undefined) {
          if (licence.id === licenceId)
            fail(
              `${where}: licence ${licence.id} relies on certificate ${certificateId}, whose issuance is not in the bundle`,
            );
          break;
        }
        const u = subject.undertakings;
        const dropped = u.prohibitedDestinations.filter(
          (c) => !list(licence.prohibitedReexportDestinations).includes(c),
        );
        if (dropped.length > 0)
          fail(
            `${where}: licence ${licence.id} drops the end user's undertaking "no re-export to ${dropped.join(', ')}" (certificate ${certificateId})`,
          );
        if (u.useOnlyIn !== undefined && licence.useOnlyIn !== u.useOnlyIn)
          fail(
            `${where}: licence ${licence.id} drops the end user's undertaking "use only in ${u.useOnlyIn}" (certificate ${certificateId})`,
          );
        if (u.extendsToIncorporatingProducts && (licence.extendsToIncorporatingProducts as unknown) !== true)
          fail(
            `${where}: licence ${licence.id} releases products incorporating the items, which the end user bound (certificate ${certificateId})`,
          );
        const claim = isObject(b.claim) ? b.claim : undefined;
        if (claim === undefined || claim.certificateId !== certificateId)
          fail(
            `${where}: licence ${licence.id} relies on certificate ${certificateId} but its approval records no claim on it`,
          );
        const want = claimedGrams(licence, subject.items);
        if (want.unmatched.length > 0)
          fail(
            `${where}: licence ${licence.id} lines ${want.unmatched.join(', ')} are not items of certificate ${certificateId}`,
          );
        const lines = list(claim.lines).filter(isObject);
        if (lines.length !== [...want.claims.values()].filter((g) => g > 0).length)
          fail(
            `${where}: the claim on certificate ${certificateId} names ${lines.length} lines; the licence claims ${want.claims.size}`,
          );
        for (const l of lines) {
          const key = certificateLineKey({ controlCode: String(l.controlCode), hsCode: String(l.hsCode) });
          const item = subject.items.find((x) => certificateLineKey(x) === key);
          if (item === undefined) fail(`${where}: the claim names ${key}, not a line of certificate ${certificateId}`);
          const grams = Number(l.grams);
          const before = Number(l.claimedBeforeGrams);
          if (Number(l.ceilingGrams) !== item.quantityGrams)
            fail(
              `${where}: the claim states a ceiling of ${g(Number(l.ceilingGrams))} for ${key}; ` +
                `the certificate covers ${g(item.quantityGrams)}`,
            );
          if (grams !== want.claims.get(key))
            fail(
              `${where}: the claim on ${key} is ${g(grams)}; licence ${licence.id}'s lines come to ${g(want.claims.get(key) ?? 0)}`,
            );
          const seen = claimedSoFar.get(`${certificateId} ${key}`) ?? 0;
          if (!Number.isSafeInteger(before) || before < seen)
            fail(
              `${where}: the claim on ${key} says ${g(before)} was claimed before it, ` +
                `but the approvals earlier in the bundle claimed ${g(seen)} (certificate ${certificateId})`,
            );
          if (before + grams > item.quantityGrams)
            fail(
              `${where}: licence ${licence.id} claims ${g(grams)} of ${key} with ${g(before)} claimed already: ` +
                `past the ${g(item.quantityGrams)} certificate ${certificateId} covers`,
            );
          claimedSoFar.set(`${certificateId} ${key}`, before + grams);
        }
        claims++;
        break;
      }
      case 'shipment.dispatched': {
        const s = isObject(b.shipment) ? b.shipment : {};
        const under = typeof s.licenceId === 'string' ? licences.get(s.licenceId) : undefined;
        const certificateId = under?.certificateId;
        const revocation = certificateId === undefined ? undefined : revoked.get(certificateId);
        if (under !== undefined && revocation !== undefined) {
          fail(
            `${where}: shipment ${String(s.id)} under licence ${under.id} is recorded after certificate ${certificateId ?? '?'}, which it relies on, was revoked (journal entry ${revocation.seq}: ${revocation.reason})`,
          );
        }
        for (const x of list(b.restrictions).filter(isObject)) {
          const rev = typeof x.certificateId === 'string' ? revoked.get(x.certificateId) : undefined;
          const carried = isObject(x.certificateRevoked) ? x.certificateRevoked : undefined;
          if (rev !== undefined && carried?.seq !== rev.seq) {
            fail(
              `${where}: shipment ${String(s.id)} carries material of certificate ${String(x.certificateId)}, revoked at journal entry ${rev.seq}, without the revocation in its restriction`,
            );
          }
        }
        if (under === undefined || under.id !== licenceId) break;
        const made = list(b.restrictions)
          .filter(isObject)
          .find((x) => x.licenceId === under.id && list(x.chain)[0] === `shipment ${String(s.id)}`);
        if (made === undefined)
          fail(`${where}: licensed shipment ${String(s.id)} creates no restriction of licence ${under.id}`);
        const terms = restrictionTerms(
          under,
          certificateId === undefined ? undefined : subjects.get(certificateId)?.undertakings,
        );
        const prohibited = list(made.prohibitedDestinations).map(String);
        if (!sameSet(prohibited, terms.prohibitedDestinations))
          fail(
            `${where}: shipment ${String(s.id)}'s restriction prohibits ${prohibited.join(', ') || 'nothing'}; the licence's conditions and the certificate's undertakings prohibit ${terms.prohibitedDestinations.join(', ') || 'nothing'}`,
          );
        if (made.useOnlyIn !== terms.useOnlyIn)
          fail(
            `${where}: shipment ${String(s.id)}'s restriction says use only in ${typeof made.useOnlyIn === 'string' ? made.useOnlyIn : 'anywhere'}; the undertakings say ${terms.useOnlyIn ?? 'anywhere'}`,
          );
        if (made.extendsToProducts !== terms.extendsToProducts)
          fail(
            `${where}: shipment ${String(s.id)}'s restriction ${made.extendsToProducts === true ? 'binds' : 'does not bind'} incorporating products; the licence and certificate say it ${terms.extendsToProducts ? 'does' : 'does not'}`,
          );
        restrictions++;
        break;
      }
      default:
        break;
    }
  });
  return { certificates: subjects.size, claims, revocations: revoked.size, restrictions };
}
