/** A well-formed end-user certificate subject for the scenario: Chinese magnets for an Indian EV-motor maker. */
export const certificateSubject = {
  exporter: 'ganzhou-hengyuan-magnetics',
  importer: 'chakan-drive-systems',
  endUser: 'chakan-drive-systems',
  items: [
    {
      controlCode: '1C905.a',
      hsCode: '8505.11',
      description: 'Sintered NdFeB magnets, grade 45SH, Dy-bearing',
      quantityGrams: 2_000_000,
      value: { currency: 'USD', minor: 18_000_000 },
    },
  ],
  endUse: {
    description: 'Rotor magnets for EV traction motors sold in India',
    purposes: ['civil-automotive'],
    endProduct: 'EV traction motors',
  },
  undertakings: {
    noWmdUse: true,
    noMilitaryUse: true,
    noReexportWithoutConsent: true,
    consentAuthority: 'cn-mofcom',
    prohibitedDestinations: ['US'],
    useOnlyIn: 'IN',
    extendsToIncorporatingProducts: true,
    postShipmentVerificationConsent: true,
    noticeOfChanges: true,
  },
  validity: { from: '2026-01-01', until: '2026-12-31' },
};
