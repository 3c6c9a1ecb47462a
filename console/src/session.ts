import { createContext, useContext } from 'react';
import type { Api, Me } from './api.js';

/** The signed-in party: its API client and who it is (App.tsx provides it; every screen reads it). */
export interface Session {
  readonly api: Api;
  readonly me: Me;
}

export const SessionContext = createContext<Session | null>(null);

/** The session of the screen being drawn (a screen is only drawn signed in). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (s === null) throw new Error('no session');
  return s;
}
