from resnet_repro.cli.app import main

if __name__ == "__main__":  # spawned worker processes (run --jobs) import this module without running it
    main()
