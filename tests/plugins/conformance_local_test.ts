/** The remote conformance suite (tests/plugins/_conformance.ts) against the local remote. */
import { conformance } from "./_conformance.ts";

conformance("local");
