/** Bundle entry (build.mjs): installs window.LayerSync on load. Feature modules live beside it. */
import { install } from './install';

install();
