// The broadcast paths of Switchboard's protocols, registered into paths.ts as each protocol lands.
export {};
