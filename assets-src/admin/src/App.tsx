import { __ } from '@wordpress/i18n';
import { ConnectionScreen } from './connection/ConnectionScreen';

/** The LayerSync admin page. Later screens (platforms, live events, queue, deliveries) join here. */
export function App() {
  return (
    <div className="layersync-admin">
      <h1 className="layersync-admin__title">{__('LayerSync', 'layersync')}</h1>
      <ConnectionScreen />
    </div>
  );
}
