import { useState } from 'react';
import { Link, RouterProvider, usePath } from './router.js';
import { AlertsScreen } from './screens/Alerts.js';
import { RulePacksScreen } from './screens/RulePacks.js';
import { ScreeningScreen } from './screens/Screening.js';
import { AuditScreen } from './screens/Audit.js';
import { CertificateScreen, CertificatesScreen } from './screens/Certificates.js';
import { LicenceScreen } from './screens/Licence.js';
import { LicencesScreen } from './screens/Licences.js';
import { QueueScreen } from './screens/Queue.js';
import { SignIn } from './screens/SignIn.js';
import { SessionContext, useSession, type Session } from './session.js';
import { Empty } from './ui.js';

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  return (
    <RouterProvider>
      <a className="skip" href="#main">
        Skip to content
      </a>
      {session === null ? (
        <main id="main" className="signin-page">
          <SignIn onSignedIn={setSession} />
        </main>
      ) : (
        <SessionContext.Provider value={session}>
          <Shell onSignOut={() => setSession(null)} />
        </SessionContext.Provider>
      )}
    </RouterProvider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const { me, api } = useSession();
  const authority = me.role === 'licensing-authority';
  return (
    <>
      <header className="top">
        <div className="brand">Lodestone</div>
        <nav aria-label="Main">
          <ul>
            {authority ? (
              <li>
                <Link to="/queue">Queue</Link>
              </li>
            ) : null}
            <li>
              <Link to="/licences">Licences</Link>
            </li>
            <li>
              <Link to="/certificates">Certificates</Link>
            </li>
            {authority ? (
              <li>
                <Link to="/alerts">Alerts</Link>
              </li>
            ) : null}
            {me.role === 'auditor' || me.role === 'operator-admin' ? null : (
              <li>
                <Link to="/screening">Screening</Link>
              </li>
            )}
            <li>
              <Link to="/audit">Audit</Link>
            </li>
            <li>
              <Link to="/rules">Rules</Link>
            </li>
          </ul>
        </nav>
        <div className="who">
          <span className="party" title={me.party?.name ?? 'operator'}>
            {me.party?.name ?? 'operator'}{' '}
            <span className="muted">
              ({me.role}
              {me.partyId ? ` · ${me.partyId}` : ''})
            </span>
          </span>
          <span
            className={api.signer ? 'key-on' : 'key-off'}
            title={api.signer ? `signing key ${api.signer.keyId}` : 'no signing key: read-only'}
          >
            {api.signer ? 'signing key loaded' : 'read-only'}
          </span>
          <button type="button" className="btn btn-plain" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes />
      </main>
    </>
  );
}

function Routes() {
  const path = usePath();
  const { me } = useSession();
  const m = (re: RegExp) => re.exec(path);
  let r: RegExpExecArray | null;
  if (path === '/' || path === '') return me.role === 'licensing-authority' ? <QueueScreen /> : <LicencesScreen />;
  if (path === '/queue') return <QueueScreen />;
  if (path === '/licences') return <LicencesScreen />;
  if ((r = m(/^\/licences\/([^/]+)$/))) return <LicenceScreen id={decodeURIComponent(r[1] ?? '')} />;
  if (path === '/certificates') return <CertificatesScreen />;
  if ((r = m(/^\/certificates\/([^/]+)$/))) return <CertificateScreen id={decodeURIComponent(r[1] ?? '')} />;
  if (path === '/alerts') return <AlertsScreen />;
  if (path === '/audit') return <AuditScreen />;
  if (path === '/screening') return <ScreeningScreen />;
  if (path === '/rules') return <RulePacksScreen />;
  return (
    <div className="page">
      <h1>Not found</h1>
      <Empty>
        There is no page at <code>{path}</code>. <Link to="/">Go to the start page</Link>.
      </Empty>
    </div>
  );
}
