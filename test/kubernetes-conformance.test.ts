import { conformanceSuite } from './support/conformance.ts';
import { kubeDriver } from './support/kube-driver.ts';

conformanceSuite('kubernetes', kubeDriver);
