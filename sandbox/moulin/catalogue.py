"""Word lists for the sample store: French names and places, with accents and other scripts on purpose."""

FIRST_NAMES = ("Élodie", "Gaëlle", "François", "Zoë", "Noël", "Hélène", "Jérôme", "Anaïs", "Benoît", "Cécile",
               "Loïc", "Maëlys", "Aurélien", "Chloé", "Jean-Édouard", "Marie", "Thomas", "Camille", "Łukasz",
               "Ngọc Anh", "Søren", "Inès", "Mohamed", "Amélie", "Pierre", "Océane", "Yann", "李", "Oğuz")
LAST_NAMES = ("Dupont", "Lefèvre", "Müller", "Durand", "Lemaître", "Garçon", "Bénard", "Faure", "Cœur",
              "Moreau", "Rousseau", "Giraud", "N'Diaye", "Nguyễn", "Da Silva", "Châtelain", "Perrin", "Ōtsuka",
              "Martin", "Bernard", "Petit", "Robert", "Richard", "Dubois", "Laurent", "O'Brien")
CITIES = (("Paris", "75011"), ("Lyon", "69003"), ("Marseille", "13006"), ("Nantes", "44000"), ("Besançon", "25000"),
          ("Orléans", "45000"), ("Saint-Étienne", "42000"), ("Angoulême", "16000"), ("Aix-en-Provence", "13100"),
          ("Lille", "59000"), ("Épinal", "88000"), ("Nîmes", "30000"))
COMPANY_FORMS = ("SARL", "SAS", "Boulangerie", "Pâtisserie", "Épicerie fine", "Crêperie", "Biocoop")
TAGS = ["fidèle", "bio", "professionnel", "été", "🌾 farine", "newsletter", "VIP"]
NOTES = (None, None, None, "Livrer après 18 h", "Sonnez deux fois 🔔", "Sans gluten svp", "Cadeau 🎁 – emballer",
         "Paiement à réception", "Client historique depuis 1998", "Merci ❤️")
# (title, type, base price in EUR, ((size, price factor), ...))
_SIZES = (("1 kg", 1), ("5 kg", 4), ("25 kg", 18))
PRODUCTS = tuple(
    (title, kind, price, sizes)
    for title, kind, price, sizes in (
        ("Farine de blé T65", "farine", "2.40", _SIZES), ("Farine de blé T80", "farine", "2.70", _SIZES),
        ("Farine de seigle T130", "farine", "3.10", _SIZES), ("Farine d'épeautre T110", "farine", "4.20", _SIZES),
        ("Farine de sarrasin", "farine", "3.90", _SIZES), ("Farine de châtaigne", "farine", "9.50", (("500 g", 1),)),
        ("Farine de maïs", "farine", "2.90", _SIZES), ("Semoule fine", "semoule", "2.20", _SIZES),
        ("Flocons d'avoine", "céréales", "3.30", (("500 g", 1), ("2 kg", 3.5))),
        ("Huile de noix", "huile", "12.80", (("25 cl", 1), ("50 cl", 1.8), ("1 l", 3.4))),
        ("Huile de colza", "huile", "5.60", (("50 cl", 1), ("1 l", 1.8))),
        ("Moutarde à l'ancienne", "épicerie", "4.50", (("200 g", 1),)),
        ("Levain déshydraté", "épicerie", "6.90", (("100 g", 1),)),
        ("Pain de campagne (retrait)", "boulangerie", "4.80", (("800 g", 1), ("1,6 kg", 1.9))),
        ("Sablés bretons", "biscuiterie", "5.20", (("boîte 250 g", 1),)),
        ("Coffret découverte 🎁", "coffret", "29.00", (("standard", 1), ("prestige", 1.8))),
    ))
PICKUP_POINTS = (("Moulin de la Côte – boutique", "1 chemin du Moulin", "Besançon", "25000"),
                 ("Biocoop Saint-Étienne", "12 place Jean-Jaurès", "Saint-Étienne", "42000"),
                 ("Épicerie « Le Grenier »", "3 rue des Halles", "Orléans", "45000"),
                 ("Marché couvert de Nîmes", "Rue Guizot", "Nîmes", "30000"),
                 ("Relais colis Lyon Part-Dieu", "5 rue Garibaldi", "Lyon", "69003"),
                 ("Boulangerie Cœur de Blé", "44 avenue Jean-Médecin", "Paris", "75011"))
