use marshal_core::marshal::Marshal;

#[derive(Marshal)]
struct S {
    #[marshal(as = currency)]
    price: f64,
}

fn main() {}
