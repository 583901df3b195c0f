"""The Spry protocol (under ``/apis/``): its envelope (codes 4000/4004/5003 ...), OAuth client credentials, rate
limit and parser. Imports the engine and serving; never the VBA protocol or the admin."""
