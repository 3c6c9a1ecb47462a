import { useState } from 'react';
import { useSession } from './session.js';
import { t } from './strings.js';

/** The API's export check (`GET /v1/export-check`): allowed, or refused with each rule's explanation. */
export interface ExportCheckResult {
  allowed: boolean;
  refusals: { rule: string; message: string; chain?: string[] }[];
  checks: string[];
}

interface Choice {
  readonly id: string;
  readonly label: string;
}
interface PartyChoice {
  readonly id: string;
  readonly name: string;
  readonly country: string;
}

export interface ExportCheck {
  readonly lot: string;
  readonly to: string;
  readonly dest: string;
  setLot(v: string): void;
  setTo(v: string): void;
  setDest(v: string): void;
  readonly busy: boolean;
  readonly result: ExportCheckResult | undefined;
  readonly error: Error | undefined;
  /** What was asked, in words ("MAG-1 to Lakeshore EV in US"). */
  readonly asked: string;
  submit(e: { preventDefault(): void }): Promise<void>;
}

/** The export check's form state and its call: a lot, a party and a destination (the party's country unless given). */
export function useExportCheck(lots: readonly Choice[], parties: readonly PartyChoice[]): ExportCheck {
  const { api } = useSession();
  const [lot, setLot] = useState(lots[0]?.id ?? '');
  const [to, setTo] = useState(parties[0]?.id ?? '');
  const [dest, setDest] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ExportCheckResult | undefined>();
  const [asked, setAsked] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const submit = async (e: { preventDefault(): void }) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    const party = parties.find((p) => p.id === to) ?? parties[0];
    const destination = (dest.trim() || party?.country || '').toUpperCase();
    const lotId = lot || lots[0]?.id || '';
    try {
      const r = await api.get<ExportCheckResult>(
        `/v1/export-check?lot=${encodeURIComponent(lotId)}&to=${encodeURIComponent(party?.id ?? '')}&destination=${encodeURIComponent(destination)}`,
      );
      setAsked(`${lotId} to ${party?.name ?? '?'} in ${destination}`);
      setResult(r);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return { lot, to, dest, setLot, setTo, setDest, busy, result, error, asked, submit };
}

/** The check's fields (lot, party, destination) and its button, in one row. */
export function ExportCheckFields({
  check,
  lots,
  parties,
  destinationLabel,
  destinationPlaceholder,
}: {
  check: ExportCheck;
  lots: readonly Choice[];
  parties: readonly PartyChoice[];
  destinationLabel: string;
  destinationPlaceholder: string;
}) {
  return (
    <div className="row">
      <label>
        {t.exportCheck.lot}{' '}
        <select value={check.lot} onChange={(e) => check.setLot(e.target.value)} name="lot">
          {lots.map((l) => (
            <option key={l.id} value={l.id}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.exportCheck.to}{' '}
        <select value={check.to} onChange={(e) => check.setTo(e.target.value)} name="to">
          {parties.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.country})
            </option>
          ))}
        </select>
      </label>
      <label>
        {destinationLabel}{' '}
        <input
          value={check.dest}
          onChange={(e) => check.setDest(e.target.value)}
          name="destination"
          placeholder={destinationPlaceholder}
          maxLength={2}
          size={4}
        />
      </label>
      <button type="submit" className="btn btn-plain" disabled={check.busy} aria-busy={check.busy}>
        {check.busy ? (
          <>
            <span className="spinner" aria-hidden="true" /> {t.exportCheck.checking}
          </>
        ) : (
          t.exportCheck.check
        )}
      </button>
    </div>
  );
}
