import { Link, RouterProvider, usePath } from './router.js';
import { AlertsScreen } from './screens/Alerts.js';
import { AlertDetailScreen } from './screens/AlertDetail.js';
import { CertificateDetailScreen } from './screens/CertificateDetail.js';
import { HoldingsScreen } from './screens/Holdings.js';
import { RulePacksScreen } from './screens/RulePacks.js';
import { ScreeningScreen } from './screens/Screening.js';
import { AuditScreen } from './screens/Audit.js';
import { CertificatesScreen } from './screens/Certificates.js';
import { FederationScreen } from './screens/Federation.js';
import { LicenceScreen } from './screens/Licence.js';
import { LicencesScreen } from './screens/Licences.js';
import { QueueScreen } from './screens/Queue.js';
import { SignIn } from './screens/SignIn.js';
import { SessionContext, useSession, useStoredSession } from './session.js';
import { t } from './strings.js';
import { Empty, Loading } from './ui.js';

export function App() {
  const [session, setSession] = useStoredSession();
  return (
    <RouterProvider>
      <a className="skip" href="#main">
        {t.nav.skip}
      </a>
      {session === undefined ? (
        <main id="main" className="signin-page">
          <Loading what="your session" />
        </main>
      ) : session === null ? (
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
  const holder = HOLDER_ROLES.includes(me.role);
  return (
    <>
      <header className="top">
        <div className="brand">{t.nav.brand}</div>
        <nav aria-label={t.nav.main}>
          <ul>
            {authority ? (
              <li>
                <Link to="/queue">{t.nav.queue}</Link>
              </li>
            ) : null}
            {holder ? (
              <li>
                <Link to="/holdings">{t.nav.holdings}</Link>
              </li>
            ) : null}
            <li>
              <Link to="/licences">{t.nav.licences}</Link>
            </li>
            <li>
              <Link to="/certificates">{t.nav.certificates}</Link>
            </li>
            {authority ? (
              <li>
                <Link to="/alerts">{t.nav.alerts}</Link>
              </li>
            ) : null}
            {me.role === 'auditor' || me.role === 'operator-admin' ? null : (
              <li>
                <Link to="/screening">{t.nav.screening}</Link>
              </li>
            )}
            <li>
              <Link to="/audit">{t.nav.audit}</Link>
            </li>
            <li>
              <Link to="/rules">{t.nav.rules}</Link>
            </li>
            {FEDERATION_ROLES.includes(me.role) ? (
              <li>
                <Link to="/federation">{t.nav.federation}</Link>
              </li>
            ) : null}
          </ul>
        </nav>
        <div className="who">
          <span className="party" title={me.party?.name ?? t.nav.operator}>
            {me.party?.name ?? t.nav.operator}{' '}
            <span className="muted">
              ({me.role}
              {me.partyId ? ` · ${me.partyId}` : ''})
            </span>
          </span>
          <span
            className={api.signer ? 'key-on' : 'key-off'}
            title={api.signer ? t.nav.signingKey(api.signer.keyId) : t.nav.noSigningKey}
          >
            {api.signer ? t.nav.signingKeyLoaded : t.nav.readOnly}
          </span>
          <button type="button" className="btn btn-plain" onClick={onSignOut}>
            {t.nav.signOut}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes />
      </main>
    </>
  );
}

const HOLDER_ROLES: readonly string[] = ['exporter', 'importer', 'downstream-holder'];
/** Who may read GET /v1/federation/status (src/http/routes.ts): the operator and the authorities. */
const FEDERATION_ROLES: readonly string[] = ['operator-admin', 'licensing-authority', 'importing-government'];

/** Each role's main page: the authority's queue, a holder's holdings, the government's certificates, the auditor's audit. */
function StartScreen({ role }: { role: string }) {
  if (role === 'licensing-authority') return <QueueScreen />;
  if (role === 'importer' || role === 'downstream-holder') return <HoldingsScreen />;
  if (role === 'importing-government') return <CertificatesScreen />;
  if (role === 'auditor') return <AuditScreen />;
  return <LicencesScreen />;
}

function Routes() {
  const path = usePath();
  const { me } = useSession();
  const m = (re: RegExp) => re.exec(path);
  let r: RegExpExecArray | null;
  if (path === '/' || path === '') return <StartScreen role={me.role} />;
  if (path === '/holdings') return <HoldingsScreen />;
  if ((r = m(/^\/alerts\/([^/]+)$/))) return <AlertDetailScreen id={decodeURIComponent(r[1] ?? '')} />;
  if (path === '/queue') return <QueueScreen />;
  if (path === '/licences') return <LicencesScreen />;
  if ((r = m(/^\/licences\/([^/]+)$/))) return <LicenceScreen id={decodeURIComponent(r[1] ?? '')} />;
  if (path === '/certificates') return <CertificatesScreen />;
  if ((r = m(/^\/certificates\/([^/]+)$/))) return <CertificateDetailScreen id={decodeURIComponent(r[1] ?? '')} />;
  if (path === '/alerts') return <AlertsScreen />;
  if (path === '/audit') return <AuditScreen />;
  if (path === '/screening') return <ScreeningScreen />;
  if (path === '/rules') return <RulePacksScreen />;
  if (path === '/federation') return <FederationScreen />;
  return (
    <div className="page">
      <h1>{t.app.notFound}</h1>
      <Empty>
        {t.app.noPageAt} <code>{path}</code>. <Link to="/">{t.app.goStart}</Link>.
      </Empty>
    </div>
  );
}
