from steplabel.cli.app import app

app()
