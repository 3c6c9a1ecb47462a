import { useEffect, useState } from 'react';
import { ApiError, importSigner, type RequestSigner } from '../api.js';
import { forgetSigners, openSession, storedSignerParties, type Session } from '../session.js';
import { t } from '../strings.js';
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
      <h1 id="signin-h">{t.signIn.title}</h1>
      <p className="muted">{t.signIn.intro}</p>
      <label htmlFor="api-key">{t.signIn.apiKey}</label>
      <input
        id="api-key"
        name="api-key"
        type="password"
        autoComplete="off"
        required
        value={apiKey}
        onChange={(e) => setApiKey(e.target.value)}
        placeholder={t.signIn.apiKeyPlaceholder}
      />
      <label htmlFor="private-key">
        {t.signIn.privateKey} <span className="muted">{t.signIn.privateKeyOptional}</span>
      </label>
      <textarea
        id="private-key"
        name="private-key"
        rows={4}
        value={keyText}
        onChange={(e) => setKeyText(e.target.value)}
        placeholder={t.signIn.privateKeyPlaceholder}
        spellCheck={false}
      />
      <label htmlFor="private-key-file" className="file-label">
        {t.signIn.keyFile}
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
      <p className="muted small">{t.signIn.keptHere}</p>
      {stored.length > 0 ? (
        <p className="small" data-testid="stored-keys">
          {t.signIn.stored(stored.join(', '))}{' '}
          <button
            type="button"
            className="btn btn-plain"
            onClick={() => void forgetSigners().then(() => setStored([]))}
          >
            {t.signIn.forget}
          </button>
        </p>
      ) : null}
      {error ? <ErrorBox error={error} title={t.signIn.failed} /> : null}
      <button type="submit" className="btn btn-primary" disabled={busy} aria-busy={busy}>
        {busy ? (
          <>
            <span className="spinner" aria-hidden="true" /> {t.signIn.signingIn}
          </>
        ) : (
          t.signIn.signIn
        )}
      </button>
    </form>
  );
}
