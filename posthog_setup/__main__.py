from posthog_setup.cli import main

raise SystemExit(main())
