import { parseManifests } from '../../src/sources/file/manifests.ts';
import { translate } from '../../src/translate/translate.ts';
import type { ConformanceDriver, DriverFactory } from './conformance-driver.ts';
import { startStandalone } from './harness.ts';
import { toYaml } from './manifests.ts';
import { CLASS_OPTIONS } from './translate.ts';

/**
 * Conformance driver for standalone mode: objects are written to RAUTA's manifest file, and apply waits
 * until RAUTA serves the table those objects translate to (compared by fingerprint, so an apply that
 * changes nothing still returns at once).
 */
export const standaloneDriver: DriverFactory = async (): Promise<ConformanceDriver> => {
  const rauta = await startStandalone('');
  return {
    httpPort: rauta.httpPort,
    httpsPort: rauta.httpsPort,
    table: () => rauta.routes.table,
    async apply(objects) {
      const yaml = toYaml(objects);
      const want = translate(parseManifests([{ name: rauta.manifestPath, text: yaml }]), CLASS_OPTIONS).fingerprint;
      if (rauta.reconciler.current?.fingerprint === want) return;
      await rauta.update(yaml);
      const deadline = Date.now() + 5000;
      while (rauta.reconciler.current?.fingerprint !== want) {
        if (Date.now() > deadline) throw new Error('RAUTA did not serve the applied objects within 5 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: () => rauta.stop(),
  };
};
