from casework.entities.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = "Import plate sightings (plate,camera,seen_at,lat,lon[,place]) into a room."
    kind = "sightings"
