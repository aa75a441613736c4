// The broadcast paths of Switchboard's protocols, registered into paths.ts as each protocol lands.
export {};

/** Endpoints an idle connection may open on Switchboard (M1 spreads its connections over them). */
export const idlePaths: string[] = [];
