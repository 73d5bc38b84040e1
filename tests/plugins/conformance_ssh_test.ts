/** The remote conformance suite (tests/plugins/_conformance.ts) against the ssh remote. */
import { conformance } from "./_conformance.ts";

conformance("ssh");
