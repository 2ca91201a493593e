/** Entry of plugin/build/tracker-pixels.js: hands the factory to the core, which loaded this file. */
import { createPixels } from './index';
import type { PixelsFactory } from './types';

(window as unknown as { LayerSyncPixels: PixelsFactory }).LayerSyncPixels = createPixels;
