/**
 * The console's words in one place, so a translation (Chinese, Hindi …) is one more object of the
 * same shape. Screens read `t` (the active language); data from the server (names, explanations,
 * rule texts) is shown as the server sends it.
 */
const en = {
  nav: {
    main: 'Main',
    queue: 'Queue',
    licences: 'Licences',
    holdings: 'Holdings',
    certificates: 'Certificates',
    alerts: 'Alerts',
    audit: 'Audit',
    rules: 'Rules',
    signOut: 'Sign out',
    skip: 'Skip to content',
    signingKeyLoaded: 'signing key loaded',
    readOnly: 'read-only',
  },
  list: {
    search: 'Search',
    searchHint: 'Every word must match (ids, names, countries, statuses)',
    sortBy: 'Sort by',
    ascending: 'ascending',
    descending: 'descending',
    order: 'Order',
    perPage: 'Per page',
    any: 'any',
    previous: 'Previous page',
    next: 'Next page',
    showing: (from: number, to: number, total: number) =>
      total === 0 ? 'Nothing matches' : `Showing ${from}–${to} of ${total}`,
    downloadCsv: 'Download CSV',
    downloading: 'Downloading…',
    filters: 'Filters',
    pages: 'Pages',
  },
  queue: {
    title: 'Applications',
    pendingTitle: 'Pending applications',
    onlyAuthority: 'Only a licensing authority has an application queue.',
    none: 'No application matches.',
    nonePending: 'No applications are waiting for a decision.',
    status: 'Status',
    pending: 'pending',
    decided: 'decided',
    all: 'all',
    recommendation: 'Recommendation',
    approve: 'Approve with conditions…',
    deny: 'Deny…',
    askInfo: 'Ask for information…',
    confirmTitle: 'Issue this licence?',
    confirmIssue: 'Issue the licence',
    cancel: 'Cancel',
    approveSubmit: 'Approve and issue the licence',
  },
  licences: {
    title: 'Licences',
    none: 'No licence names your party.',
    holdingsHint: 'Material you hold under other parties’ licences, with its restrictions, is under',
    noneMatch: 'No licence matches.',
    caption: 'Licences naming your party',
    utilisation: 'Utilisation',
    print: 'Print or save as PDF',
  },
  certificates: {
    title: 'End-user certificates',
    none: 'No certificate names your party.',
    noneMatch: 'No certificate matches.',
  },
  alerts: { title: 'Alerts', none: 'No alerts on your licences.', noneMatch: 'No alert matches.' },
  progress: {
    reading: 'Reading the file',
    downloading: 'Downloading the bundle',
    verifying: 'Verifying signatures, proofs, rules and balances',
  },
};

export type Strings = typeof en;
export const LANGUAGES: Readonly<Record<string, Strings>> = { en };
/** The active language's strings (English until a translation is added to LANGUAGES). */
export const t: Strings = LANGUAGES[document.documentElement.lang] ?? en;
