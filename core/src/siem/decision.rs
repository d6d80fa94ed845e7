//! SIEM events for enforcement decisions (the gateway: one event per allow, deny or hold).
