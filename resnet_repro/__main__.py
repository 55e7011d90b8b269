from resnet_repro.cli.app import main

main()
