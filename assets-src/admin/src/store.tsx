/**
 * The app's one data store: what several screens share (destination types and this site's
 * destinations at the relay), loaded once and refreshed after every change.
 */
import { createContext, useCallback, useContext, useEffect, useState } from '@wordpress/element';
import type { ReactNode } from 'react';
import { type Destination, type DestinationType, errorMessage, relay } from './api';

interface RelayState {
  types: DestinationType[] | null;
  destinations: Destination[] | null;
  error: string | null;
  refresh: () => Promise<void>;
  /** Replaces one destination after a change (no refetch). */
  put: (d: Destination) => void;
}

const Ctx = createContext<RelayState | null>(null);

export function RelayStoreProvider({ children }: { children: ReactNode }) {
  const [types, setTypes] = useState<DestinationType[] | null>(null);
  const [destinations, setDestinations] = useState<Destination[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    setError(null);
    try {
      const [t, d] = await Promise.all([relay.types(), relay.destinations()]);
      setTypes(t);
      setDestinations(d);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const put = (d: Destination) => setDestinations((all) => (all ?? []).filter((x) => x.id !== d.id).concat(d).sort((a, b) => a.id - b.id));
  return <Ctx.Provider value={{ types, destinations, error, refresh, put }}>{children}</Ctx.Provider>;
}

export function useRelayStore(): RelayState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useRelayStore outside RelayStoreProvider');
  return v;
}
