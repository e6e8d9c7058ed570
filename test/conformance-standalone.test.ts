import { conformanceSuite } from './support/conformance.ts';
import { standaloneDriver } from './support/standalone-driver.ts';

conformanceSuite('standalone', standaloneDriver);
