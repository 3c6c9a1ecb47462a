import { useState } from 'react';
import { Api, ApiError, importSigner, type Me, type RequestSigner } from '../api.js';
import type { Session } from '../session.js';
import { ErrorBox } from '../ui.js';

/** Sign in with an API key; optionally import the party's private key to sign actions (kept in memory only). */
export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [apiKey, setApiKey] = useState('');
  const [keyText, setKeyText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();

  const submit = async (e: { preventDefault(): void }) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      let signer: RequestSigner | null = null;
      if (keyText.trim() !== '') signer = await importSigner(keyText);
      const api = new Api(apiKey.trim(), signer);
      const me = await api.get<Me>('/v1/console/me');
      if (signer && me.partyId !== null) {
        const keys =
          await api.get<{ partyId: string; keyId: string; revoked: boolean; inForce: boolean }[]>('/v1/console/keys');
        const k = keys.find((x) => x.keyId === signer.keyId);
        if (!k || k.partyId !== me.partyId || k.revoked || !k.inForce)
          throw new Error(`the private key (${signer.keyId}) is not a live registered key of ${me.partyId}`);
      }
      setKeyText('');
      onSignedIn({ api, me });
    } catch (err) {
      setError(
        err instanceof ApiError && err.problem.status === 401
          ? new Error('The API key was not accepted (unknown, rotated or revoked).')
          : (err as Error),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card signin" onSubmit={(e) => void submit(e)} aria-labelledby="signin-h">
      <h1 id="signin-h">Lodestone console</h1>
      <p className="muted">
        Licensing and compliance officers: sign in with your party’s API key. You see only what your party may see.
      </p>
      <label htmlFor="api-key">API key</label>
      <input
        id="api-key"
        name="api-key"
        type="password"
        autoComplete="off"
        required
        value={apiKey}
        onChange={(e) => setApiKey(e.target.value)}
        placeholder="lsk_…"
      />
      <label htmlFor="private-key">
        Private signing key <span className="muted">(optional: needed to approve, countersign or revoke)</span>
      </label>
      <textarea
        id="private-key"
        name="private-key"
        rows={4}
        value={keyText}
        onChange={(e) => setKeyText(e.target.value)}
        placeholder="-----BEGIN PRIVATE KEY----- … or the contents of <party>.key.json"
        spellCheck={false}
      />
      <label htmlFor="private-key-file" className="file-label">
        …or choose the key file
      </label>
      <input
        id="private-key-file"
        type="file"
        accept=".json,.pem,application/json"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void f.text().then(setKeyText);
        }}
      />
      <p className="muted small">
        The private key stays in this page’s memory: it signs requests here and is never sent to the server.
      </p>
      {error ? <ErrorBox error={error} title="Could not sign in" /> : null}
      <button type="submit" className="btn btn-primary" disabled={busy} aria-busy={busy}>
        {busy ? (
          <>
            <span className="spinner" aria-hidden="true" /> Signing in…
          </>
        ) : (
          'Sign in'
        )}
      </button>
    </form>
  );
}
