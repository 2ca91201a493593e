/** Shared pieces of every screen: the focused heading, titled cards, notices with the server's message, loading. */
import { Card, CardBody, CardHeader, Notice, Spinner } from '@wordpress/components';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';
import type { ReactNode } from 'react';
import { errorMessage } from '../api';

/** The screen's heading; focus moves to it when the screen opens (keyboard and screen-reader users land here). */
export function ScreenHeading({ title, intro }: { title: string; intro?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <>
      <h2 className="layersync-screen__title" tabIndex={-1} ref={ref}>
        {title}
      </h2>
      {intro && <p className="layersync-screen__intro">{intro}</p>}
    </>
  );
}

/** A card with a title in its header and `children` as its body. */
export function TitledCard({ className, title, children }: { className?: string; title: string; children?: ReactNode }) {
  return (
    <Card className={className}>
      <CardHeader>
        <h3 className="layersync-card-title">{title}</h3>
      </CardHeader>
      <CardBody>{children}</CardBody>
    </Card>
  );
}

export type Status = { kind: 'success' | 'error' | 'warning' | 'info'; message: string } | null;

export function StatusNotice({ status, onRemove }: { status: Status; onRemove: () => void }) {
  if (!status) return null;
  return (
    <Notice status={status.kind} onRemove={onRemove} className="layersync-notice">
      {status.message}
    </Notice>
  );
}

export function Loading({ label }: { label?: string }) {
  return (
    <p className="layersync-loading">
      <Spinner /> {label ?? __('Loading…', 'layersync')}
    </p>
  );
}

/** Loads data once (and again on `reload`), keeping loading and error states with the server's message. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    load()
      .then((d) => live && setData(d))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((t) => t + 1), setData };
}

export function LoadError({ message, retry }: { message: string; retry: () => void }) {
  return (
    <Notice status="error" isDismissible={false} className="layersync-notice" actions={[{ label: __('Try again', 'layersync'), onClick: retry }]}>
      {message}
    </Notice>
  );
}
