import { TabPanel } from '@wordpress/components';
import { __ } from '@wordpress/i18n';
import { ConnectionScreen } from './connection/ConnectionScreen';
import { DeliveriesScreen } from './deliveries/DeliveriesScreen';
import { LiveEventsScreen } from './live/LiveEventsScreen';
import { PlatformsScreen } from './platforms/PlatformsScreen';
import { PrivacyScreen } from './privacy/PrivacyScreen';
import { QueueScreen } from './queue/QueueScreen';
import { RelayStoreProvider } from './store';
import { EventsScreen } from './tracking/EventsScreen';

const SCREENS = {
  connection: ConnectionScreen,
  platforms: PlatformsScreen,
  live: LiveEventsScreen,
  deliveries: DeliveriesScreen,
  queue: QueueScreen,
  events: EventsScreen,
  privacy: PrivacyScreen,
} as const;

/** The LayerSync admin page: one tab per screen; each screen moves focus to its heading when opened. */
export function App() {
  const tabs = [
    { name: 'connection', title: __('Connection', 'layersync') },
    { name: 'platforms', title: __('Platforms', 'layersync') },
    { name: 'live', title: __('Live Events', 'layersync') },
    { name: 'deliveries', title: __('Deliveries', 'layersync') },
    { name: 'queue', title: __('Queue', 'layersync') },
    { name: 'events', title: __('Events', 'layersync') },
    { name: 'privacy', title: __('Privacy', 'layersync') },
  ];
  return (
    <RelayStoreProvider>
      <div className="layersync-admin">
        <h1 className="layersync-admin__title">{__('LayerSync', 'layersync')}</h1>
        <TabPanel className="layersync-tabs" tabs={tabs}>
          {(tab) => {
            const Screen = SCREENS[tab.name as keyof typeof SCREENS];
            return <Screen />;
          }}
        </TabPanel>
      </div>
    </RelayStoreProvider>
  );
}
