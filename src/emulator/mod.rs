//! Local, stateful emulators of each platform's admin API.
