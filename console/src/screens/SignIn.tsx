import { useEffect, useState } from 'react';
import { ApiError, importSigner, type RequestSigner } from '../api.js';
import { forgetSigners, openSession, storedSignerParties, type Session } from '../session.js';
import { ErrorBox } from '../ui.js';

/**
 * Sign in with an API key; optionally import the party's private key to sign actions. The key is
 * imported non-extractable and kept in this browser's IndexedDB for the party, so it is imported
 * once, not pasted at every sign-in (see session.ts); the API key stays in this tab's sessionStorage.
 */
export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [apiKey, setApiKey] = useState('');
  const [keyText, setKeyText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const [stored, setStored] = useState<string[]>([]);
  useEffect(() => {
    void storedSignerParties().then(setStored);
  }, []);

  const submit = async (e: { preventDefault(): void }) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      let signer: RequestSigner | null = null;
      if (keyText.trim() !== '') signer = await importSigner(keyText);
      const session = await openSession(apiKey.trim(), signer);
      setKeyText('');
      onSignedIn(session);
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
        The private key is kept in this browser as a non-extractable key: it signs requests here, cannot be read back by
        any script, and is never sent to the server.
      </p>
      {stored.length > 0 ? (
        <p className="small" data-testid="stored-keys">
          Signing keys stored in this browser for: {stored.join(', ')} (used when you sign in as that party).{' '}
          <button
            type="button"
            className="btn btn-plain"
            onClick={() => void forgetSigners().then(() => setStored([]))}
          >
            Forget them
          </button>
        </p>
      ) : null}
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
