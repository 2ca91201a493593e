/**
 * Mounts the admin app on the element the plugin prints (`#layersync-admin-root`). WordPress
 * 6.2+ has React 18's createRoot; older cores only have render.
 */
import { createRoot, render } from '@wordpress/element';
import { App } from './App';
import './index.scss';

function mount(): void {
  const root = document.getElementById('layersync-admin-root');
  if (!root) return;
  if (typeof createRoot === 'function') createRoot(root).render(<App />);
  else render(<App />, root);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
else mount();
